import { tfl } from '@shrinkray/tensor-core';
import { StudentSpecError } from '../errors/student-spec-error.js';
import { buildTextStudent, parseTextStudentSpec } from './text.js';

/** A parsed student spec. */
export type StudentSpec =
  | { kind: 'mlp'; hidden: number[] }
  | { kind: 'cnn'; channels: number[]; dense: number | undefined };

function positiveInts(spec: string, text: string, what: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p.length === 0)) throw new StudentSpecError(spec, `expected a comma-separated list of ${what}, found '${text}'`);
  return parts.map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || !Number.isInteger(n) || n < 1) throw new StudentSpecError(spec, `${what} must be positive integers, found '${p}'`);
    return n;
  });
}

/**
 * Parses a student spec (docs/cli.md): `mlp:H1,H2,…` (hidden layer sizes, ReLU) or `cnn:C1,C2,…[/D]`
 * (3x3 convolutions with C channels, each followed by 2x2 max pooling, then an optional dense layer
 * of width D). Throws `StudentSpecError` naming the spec.
 *
 * @example
 * parseStudentSpec('mlp:512,512'); // { kind: 'mlp', hidden: [512, 512] }
 * parseStudentSpec('cnn:16,32/64'); // { kind: 'cnn', channels: [16, 32], dense: 64 }
 */
export function parseStudentSpec(spec: string): StudentSpec {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  if (kind === 'mlp') {
    if (rest.length === 0) throw new StudentSpecError(spec, "expected hidden sizes after 'mlp:', e.g. mlp:64 or mlp:512,512");
    return { kind: 'mlp', hidden: positiveInts(spec, rest, 'hidden sizes') };
  }
  if (kind === 'cnn') {
    if (rest.length === 0) throw new StudentSpecError(spec, "expected channels after 'cnn:', e.g. cnn:16,32/64");
    const [conv, dense, extra] = rest.split('/');
    if (extra !== undefined) throw new StudentSpecError(spec, "expected at most one '/' (cnn:C1,C2/D)");
    const channels = positiveInts(spec, conv ?? '', 'conv channels');
    const d = dense === undefined ? undefined : positiveInts(spec, dense, 'dense width');
    if (d && d.length !== 1) throw new StudentSpecError(spec, `expected one dense width after '/', found ${d.length}`);
    return { kind: 'cnn', channels, dense: d?.[0] };
  }
  throw new StudentSpecError(spec, "expected 'mlp:H1,H2,…', 'cnn:C1,C2,…[/D]', 'text-bag:E[/D]', 'text-cnn:E,C[/D]' or 'text-transformer:L,H,E'");
}

/** Options of {@link buildStudent}. */
export interface BuildStudentOptions {
  /** Input shape without the batch dimension, e.g. `[28, 28, 1]` (NHWC) or `[784]`. */
  inputShape: readonly number[];
  numClasses: number;
  /** Seed of the weight initialisers (layer `i` uses `seed + i`). */
  seed: number;
  /** Model name; default `student`. */
  name?: string;
  /** Text specs (`text-bag`, `text-cnn`, `text-transformer`): the student tokenizer's vocabulary size and pad id. */
  text?: { vocabSize: number; padId: number };
}

/**
 * Builds a student from a spec (string or parsed) as a tfjs-layers model emitting logits (no final
 * softmax), with seeded Glorot-uniform initialisers: the same seed gives the same weights.
 * A CNN needs an image input `[H, W, C]`; an MLP flattens whatever it gets.
 *
 * @example
 * const student = buildStudent('cnn:16,32/64', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
 */
export function buildStudent(spec: string | StudentSpec, options: BuildStudentOptions): tfl.LayersModel {
  const textSpec = typeof spec === 'string' ? parseTextStudentSpec(spec) : undefined;
  if (textSpec) {
    if (!options.text) throw new StudentSpecError(spec as string, 'a text student needs the tokenizer (vocabulary size and pad id)');
    if (options.inputShape.length !== 1) throw new StudentSpecError(spec as string, `a text student needs token-id input [L], found [${options.inputShape.join(',')}]`);
    return buildTextStudent(textSpec, { sequenceLength: options.inputShape[0]!, ...options.text, numClasses: options.numClasses, seed: options.seed, ...(options.name ? { name: options.name } : {}) });
  }
  const text = typeof spec === 'string' ? spec : spec.kind === 'mlp' ? `mlp:${spec.hidden.join(',')}` : `cnn:${spec.channels.join(',')}${spec.dense ? `/${spec.dense}` : ''}`;
  const parsed = typeof spec === 'string' ? parseStudentSpec(spec) : spec;
  const { inputShape, numClasses, seed } = options;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new StudentSpecError(text, `numClasses must be a positive integer, got ${numClasses}`);
  if (inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) throw new StudentSpecError(text, `input shape [${inputShape.join(',')}] is not a list of positive integers`);
  let k = 0;
  const init = () => tfl.initializers.glorotUniform({ seed: seed + k++ });
  const input = tfl.input({ shape: [...inputShape], name: 'input' });
  let h: tfl.SymbolicTensor = input;
  if (parsed.kind === 'mlp') {
    if (inputShape.length > 1) h = tfl.layers.flatten({ name: 'flatten' }).apply(h) as tfl.SymbolicTensor;
    parsed.hidden.forEach((units, i) => {
      h = tfl.layers.dense({ units, activation: 'relu', kernelInitializer: init(), name: `dense_${i + 1}` }).apply(h) as tfl.SymbolicTensor;
    });
  } else {
    if (inputShape.length !== 3) throw new StudentSpecError(text, `a CNN student needs image input [H, W, C], found [${inputShape.join(',')}]`);
    let [height, width] = inputShape as [number, number, number];
    parsed.channels.forEach((filters, i) => {
      if (height < 2 || width < 2) throw new StudentSpecError(text, `too many conv blocks: after ${i} poolings the image is ${height}x${width}`);
      h = tfl.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(), name: `conv_${i + 1}` }).apply(h) as tfl.SymbolicTensor;
      h = tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool_${i + 1}` }).apply(h) as tfl.SymbolicTensor;
      height = Math.floor(height / 2);
      width = Math.floor(width / 2);
    });
    h = tfl.layers.flatten({ name: 'flatten' }).apply(h) as tfl.SymbolicTensor;
    if (parsed.dense) h = tfl.layers.dense({ units: parsed.dense, activation: 'relu', kernelInitializer: init(), name: 'dense_1' }).apply(h) as tfl.SymbolicTensor;
  }
  const logits = tfl.layers.dense({ units: numClasses, kernelInitializer: init(), name: 'logits' }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: options.name ?? 'student' });
}

/** Number of parameters (trainable and not) of a tfjs model. */
export function countParams(model: tfl.LayersModel): number {
  return model.weights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}
