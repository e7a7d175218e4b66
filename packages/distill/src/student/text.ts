import { MaskedMeanPooling1D, MultiHeadSelfAttention, PositionEmbedding, tfl } from '@shrinkray/tensor-core';
import { StudentSpecError } from '../errors/student-spec-error.js';

/** A parsed text student spec. */
export type TextStudentSpec =
  /** `text-bag:E[/D]`: embedding of width E, masked mean pooling, optional dense layer of width D. */
  | { kind: 'text-bag'; embedding: number; dense: number | undefined }
  /** `text-cnn:E,C[/D]`: embedding E, 1-D convolution (C filters, kernel 3, ReLU), max pooling over time, optional dense D. */
  | { kind: 'text-cnn'; embedding: number; channels: number; dense: number | undefined }
  /**
   * `text-transformer:L,H,E`: token + learned position embeddings of width E, L pre-LN encoder blocks
   * (H-head self-attention with the padding mask, feed-forward 2E with ReLU), a final layer norm,
   * masked mean pooling.
   */
  | { kind: 'text-transformer'; layers: number; heads: number; width: number };

/** The kinds of {@link TextStudentSpec}. */
export const TEXT_STUDENT_KINDS = ['text-bag', 'text-cnn', 'text-transformer'] as const;

/** Feed-forward width of a `text-transformer` block, as a multiple of the model width E. */
export const TRANSFORMER_FFN_MULTIPLE = 2;

/** Epsilon of the layer normalisations of `text-transformer` students (PyTorch's default). */
export const TRANSFORMER_LN_EPSILON = 1e-5;

/** Convolution width of `text-cnn` students (tokens per window). */
export const TEXT_CNN_KERNEL = 3;

function ints(spec: string, text: string | undefined, count: number, what: string): number[] {
  const parts = (text ?? '').split(',').map((s) => s.trim());
  if (parts.length !== count || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
    throw new StudentSpecError(spec, `expected ${count} positive integer${count > 1 ? 's' : ''} (${what}), found '${text ?? ''}'`);
  }
  return parts.map(Number);
}

/**
 * Parses `text-bag:E[/D]`, `text-cnn:E,C[/D]` or `text-transformer:L,H,E`; `undefined` for a spec of
 * another family.
 *
 * @throws StudentSpecError naming the spec when a text spec is malformed.
 * @example
 * parseTextStudentSpec('text-cnn:32,64/32'); // { kind: 'text-cnn', embedding: 32, channels: 64, dense: 32 }
 */
export function parseTextStudentSpec(spec: string): TextStudentSpec | undefined {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  if (kind !== 'text-bag' && kind !== 'text-cnn' && kind !== 'text-transformer') return undefined;
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  if (kind === 'text-transformer') {
    const [layers, heads, width] = ints(spec, rest, 3, 'encoder layers L, heads H, width E') as [number, number, number];
    if (width % heads !== 0) throw new StudentSpecError(spec, `width E=${width} is not divisible by H=${heads} heads`);
    return { kind, layers, heads, width };
  }
  const [body, dense, extra] = rest.split('/');
  if (extra !== undefined) throw new StudentSpecError(spec, `expected at most one '/' (${kind === 'text-bag' ? 'text-bag:E/D' : 'text-cnn:E,C/D'})`);
  const d = dense === undefined ? undefined : ints(spec, dense, 1, 'dense width')[0];
  if (kind === 'text-bag') return { kind, embedding: ints(spec, body, 1, 'embedding width E')[0]!, dense: d };
  const [embedding, channels] = ints(spec, body, 2, 'embedding width E, conv channels C') as [number, number];
  return { kind, embedding, channels, dense: d };
}

/** Options of {@link buildTextStudent}. */
export interface BuildTextStudentOptions {
  /** Tokens per example (the data's example shape `[L]`). */
  sequenceLength: number;
  /** Rows of the embedding table: the student tokenizer's vocabulary size. */
  vocabSize: number;
  /** The pad token id (masked out of `text-bag`'s mean). */
  padId: number;
  numClasses: number;
  /** Seed of the initialisers (layer `i` uses `seed + i`). */
  seed: number;
  name?: string;
}

function checkPositive(spec: string, value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1) throw new StudentSpecError(spec, `${what} must be a positive integer, got ${value}`);
}

/**
 * Builds a text student over int32 token ids `[N, L]` emitting logits, with seeded initialisers.
 *
 * @example
 * const s = buildTextStudent('text-bag:32', { sequenceLength: 32, vocabSize: 2000, padId: 0, numClasses: 8, seed: 1 });
 */
export function buildTextStudent(spec: string | TextStudentSpec, options: BuildTextStudentOptions): tfl.LayersModel {
  const parsed = typeof spec === 'string' ? parseTextStudentSpec(spec) : spec;
  const text = typeof spec === 'string' ? spec : spec.kind;
  if (!parsed) throw new StudentSpecError(text, "expected 'text-bag:E[/D]', 'text-cnn:E,C[/D]' or 'text-transformer:L,H,E'");
  const { sequenceLength, vocabSize, padId, numClasses, seed } = options;
  checkPositive(text, sequenceLength, 'sequence length');
  checkPositive(text, vocabSize, 'vocabulary size');
  checkPositive(text, numClasses, 'numClasses');
  if (!Number.isInteger(padId) || padId < 0 || padId >= vocabSize) throw new StudentSpecError(text, `pad id ${padId} is outside the vocabulary [0, ${vocabSize})`);
  if (parsed.kind === 'text-cnn' && sequenceLength < TEXT_CNN_KERNEL) throw new StudentSpecError(text, `sequence length ${sequenceLength} is shorter than the convolution width ${TEXT_CNN_KERNEL}`);
  let k = 0;
  const init = () => tfl.initializers.glorotUniform({ seed: seed + k++ });
  const input = tfl.input({ shape: [sequenceLength], dtype: 'int32', name: 'input_ids' });
  if (parsed.kind === 'text-transformer') return transformer(parsed, input, options);
  const embedded = tfl.layers
    .embedding({ inputDim: vocabSize, outputDim: parsed.embedding, embeddingsInitializer: tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: seed + k++ }), name: 'embedding' })
    .apply(input) as tfl.SymbolicTensor;
  let h: tfl.SymbolicTensor;
  if (parsed.kind === 'text-bag') {
    h = new MaskedMeanPooling1D({ padId, name: 'mean_pool' }).apply([embedded, input]) as tfl.SymbolicTensor;
  } else {
    h = tfl.layers.conv1d({ filters: parsed.channels, kernelSize: TEXT_CNN_KERNEL, padding: 'same', activation: 'relu', kernelInitializer: init(), name: 'conv' }).apply(embedded) as tfl.SymbolicTensor;
    h = tfl.layers.globalMaxPooling1d({ name: 'max_pool' }).apply(h) as tfl.SymbolicTensor;
  }
  if (parsed.dense) h = tfl.layers.dense({ units: parsed.dense, activation: 'relu', kernelInitializer: init(), name: 'dense_1' }).apply(h) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: numClasses, kernelInitializer: init(), name: 'logits' }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: options.name ?? 'student' });
}

function layerNorm(h: tfl.SymbolicTensor, name: string): tfl.SymbolicTensor {
  return tfl.layers.layerNormalization({ axis: -1, epsilon: TRANSFORMER_LN_EPSILON, name }).apply(h) as tfl.SymbolicTensor;
}

/** `text-transformer:L,H,E` on `input` (token ids `[N, L]`): pre-LN encoder blocks, masked mean pooling, logits. */
function transformer(spec: Extract<TextStudentSpec, { kind: 'text-transformer' }>, input: tfl.SymbolicTensor, options: BuildTextStudentOptions): tfl.LayersModel {
  const { vocabSize, padId, numClasses, seed } = options;
  const { width, heads } = spec;
  let k = 0;
  const next = () => seed + k++;
  const init = () => tfl.initializers.glorotUniform({ seed: next() });
  const tokens = tfl.layers
    .embedding({ inputDim: vocabSize, outputDim: width, embeddingsInitializer: tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: next() }), name: 'embedding' })
    .apply(input) as tfl.SymbolicTensor;
  let h = new PositionEmbedding({ seed: next(), name: 'positions' }).apply(tokens) as tfl.SymbolicTensor;
  for (let b = 1; b <= spec.layers; b++) {
    const attentionSeed = next();
    k += 3;
    const attended = new MultiHeadSelfAttention({ heads, padId, seed: attentionSeed, name: `block${b}_attention` }).apply([layerNorm(h, `block${b}_ln1`), input]) as tfl.SymbolicTensor;
    h = tfl.layers.add({ name: `block${b}_residual1` }).apply([h, attended]) as tfl.SymbolicTensor;
    let f = layerNorm(h, `block${b}_ln2`);
    f = tfl.layers.dense({ units: TRANSFORMER_FFN_MULTIPLE * width, activation: 'relu', kernelInitializer: init(), name: `block${b}_ffn1` }).apply(f) as tfl.SymbolicTensor;
    f = tfl.layers.dense({ units: width, kernelInitializer: init(), name: `block${b}_ffn2` }).apply(f) as tfl.SymbolicTensor;
    h = tfl.layers.add({ name: `block${b}_residual2` }).apply([h, f]) as tfl.SymbolicTensor;
  }
  h = layerNorm(h, 'final_ln');
  const pooled = new MaskedMeanPooling1D({ padId, name: 'mean_pool' }).apply([h, input]) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: numClasses, kernelInitializer: init(), name: 'logits' }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: options.name ?? 'student' });
}
