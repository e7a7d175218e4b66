import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type DeclaredShape, DTypeError, formatShape, logitsFromProbabilities, type Model, type OutputKind, ShapeMismatchError, Tensor } from '@shrinkray/tensor-core';
import * as ort from 'onnxruntime-node';
import { runInBatches } from './batched-run.js';
import { shapeOf } from './builder.js';
import { directSession } from './direct-session.js';
import { OnnxFormatError } from './errors/onnx-format-error.js';
import { runtimeInputs } from './graph-utils.js';
import { decodeOnnx } from './io.js';
import { OnnxModel, type OnnxModelOptions } from './onnx-model.js';
import { declaredOutputKind } from './output-kind.js';
import { inThreadSession, type SessionRunner } from './session-runner.js';
import { dataTypeName } from './tensor-proto.js';
import { DataType, type ModelProto } from './types.js';

/** The inputs a text classifier may declare (Hugging Face / Optimum names). */
export type TextInputName = 'input_ids' | 'attention_mask' | 'token_type_ids';
const TEXT_INPUTS: readonly TextInputName[] = ['input_ids', 'attention_mask', 'token_type_ids'];

/** Options of {@link OnnxTextModel.create}. */
export interface OnnxTextModelOptions extends Pick<OnnxModelOptions, 'name' | 'intraOpNumThreads' | 'interOpNumThreads' | 'graphOptimizationLevel' | 'allowSpinning' | 'maxBatchSize' | 'maxTensorBytes' | 'lowLatency'> {
  /** The pad token id: `attention_mask = ids != padId`. Default 0. */
  padId?: number;
  /**
   * How the first output is read; `auto` (default) follows the model's `shrinkray.output_kind`
   * metadata (a fused ensemble declares `probabilities`), else logits.
   */
  outputKind?: OutputKind | 'auto';
}

/** One declared input of a text classifier and its integer element type. */
export interface TextInput {
  name: TextInputName;
  type: 'int64' | 'int32';
}

/**
 * The inputs of a text classifier graph, in graph order: every runtime input must be `input_ids`,
 * `attention_mask` or `token_type_ids` with an INT64/INT32 type, and `input_ids` must be there.
 *
 * @throws OnnxFormatError naming `file` and the offending input.
 */
export function textInputs(proto: ModelProto, file: string): TextInput[] {
  const declared = runtimeInputs(proto.graph);
  const inputs: TextInput[] = [];
  for (const input of declared) {
    if (!TEXT_INPUTS.includes(input.name as TextInputName)) {
      throw new OnnxFormatError(file, `input '${input.name}' is not a text input (expected ${TEXT_INPUTS.join(', ')})`);
    }
    const elem = input.type?.tensorType?.elemType;
    if (elem !== DataType.INT64 && elem !== DataType.INT32) throw new OnnxFormatError(file, `input '${input.name}' is ${dataTypeName(elem)}, expected INT64 or INT32 token ids`);
    inputs.push({ name: input.name as TextInputName, type: elem === DataType.INT64 ? 'int64' : 'int32' });
  }
  if (!inputs.some((i) => i.name === 'input_ids')) throw new OnnxFormatError(file, `no 'input_ids' input (found ${declared.map((i) => i.name).join(', ') || 'none'})`);
  return inputs;
}

/** True when every runtime input of the graph is a text input (`textInputs` would accept it). */
export function isTextGraph(proto: ModelProto): boolean {
  const declared = runtimeInputs(proto.graph);
  return (
    declared.some((i) => i.name === 'input_ids') &&
    declared.every((i) => TEXT_INPUTS.includes(i.name as TextInputName) && (i.type?.tensorType?.elemType === DataType.INT64 || i.type?.tensorType?.elemType === DataType.INT32))
  );
}

/**
 * ORT feeds of a text classifier for `rows` rows of `length` token ids: `input_ids` as given,
 * `attention_mask = ids != padId`, `token_type_ids` zeros (one segment), each as its declared type.
 */
export function textFeeds(inputs: readonly TextInput[], ids: ArrayLike<number | bigint>, rows: number, length: number, padId: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  const n = rows * length;
  for (const input of inputs) {
    const values = (i: number): number => {
      const id = Number(ids[i]!);
      if (input.name === 'input_ids') return id;
      if (input.name === 'attention_mask') return id === padId ? 0 : 1;
      return 0;
    };
    if (input.type === 'int64') {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) data[i] = BigInt(Math.trunc(values(i)));
      feeds[input.name] = new ort.Tensor('int64', data, [rows, length]);
    } else {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = values(i);
      feeds[input.name] = new ort.Tensor('int32', data, [rows, length]);
    }
  }
  return feeds;
}

/**
 * An ONNX text classifier (e.g. a BERT-style encoder exported by Optimum or `torch.onnx.export`)
 * behind the tensor-core `Model` interface. `predict` takes token ids `[N, L]` (int32, or float32
 * holding integers) and feeds every input the graph declares: `input_ids`, `attention_mask`
 * (`ids != padId`) and `token_type_ids` (zeros, a single segment), as INT64 or INT32 per the
 * declaration. The first output is read as logits `[N, classes]`.
 *
 * @example
 * const model = await OnnxTextModel.create('teacher/onnx/model.onnx', { padId: 0 });
 * const logits = await model.predict(ids); // ids: Tensor<'int32'> [N, 32]
 */
export class OnnxTextModel implements Model {
  readonly name: string;
  readonly proto: ModelProto;
  readonly session: SessionRunner;
  /** `[null, L]` (`null` where the sequence length is free). */
  readonly inputShape: DeclaredShape;
  readonly numClasses: number;
  /** Token ids (float32 ids are accepted too and converted). */
  readonly inputDType = 'int32' as const;
  readonly padId: number;
  /** The graph's inputs and their element types, in graph order. */
  readonly inputs: readonly TextInput[];
  readonly outputName: string;
  /** What the first output holds; `predict` turns probabilities into logits (`log p`). */
  readonly outputKind: OutputKind;
  /** Size of the model file in bytes. */
  readonly bytes: number;
  maxBatchSize: number;

  private constructor(args: Omit<OnnxTextModel, 'predict' | 'dispose' | 'run' | 'inputDType'>) {
    this.name = args.name;
    this.proto = args.proto;
    this.session = args.session;
    this.inputShape = args.inputShape;
    this.numClasses = args.numClasses;
    this.padId = args.padId;
    this.inputs = args.inputs;
    this.outputName = args.outputName;
    this.outputKind = args.outputKind;
    this.bytes = args.bytes;
    this.maxBatchSize = args.maxBatchSize;
  }

  /**
   * Opens a text classifier from a path or bytes.
   *
   * @throws OnnxFormatError naming the file when it declares no `input_ids`, an input other than
   *   the three text inputs, or a non-integer input type; DTypeError for a non-float output.
   */
  static async create(source: string | Uint8Array, options: OnnxTextModelOptions = {}): Promise<OnnxTextModel> {
    const file = typeof source === 'string' ? source : (options.name ?? '<bytes>');
    let bytes: Uint8Array;
    try {
      bytes = typeof source === 'string' ? await readFile(source) : source;
    } catch (error) {
      throw new OnnxFormatError(file, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot be read (${(error as Error).message})`, { cause: error });
    }
    const proto = decodeOnnx(bytes, { name: file, ...(options.maxTensorBytes ? { maxTensorBytes: options.maxTensorBytes } : {}) });
    const inputs = textInputs(proto, file);
    const ids = runtimeInputs(proto.graph).find((i) => i.name === 'input_ids')!;
    const idShape = shapeOf(ids) ?? [null, null];
    if (idShape.length !== 2) throw new OnnxFormatError(file, `input 'input_ids' must be [batch, sequence], found ${formatShape(idShape)}`);
    const output = proto.graph.output[0];
    if (!output) throw new OnnxFormatError(file, 'graph has no output');
    let session: SessionRunner;
    try {
      const sessionOptions = OnnxModel.sessionOptions(options);
      session = (options.lowLatency ? directSession(bytes, sessionOptions) : undefined) ?? inThreadSession(await ort.InferenceSession.create(bytes, sessionOptions));
    } catch (error) {
      throw new OnnxFormatError(file, `onnxruntime cannot load the model: ${(error as Error).message.split('\n')[0]}`, { cause: error });
    }
    const seq = idShape[1];
    const model = new OnnxTextModel({
      name: options.name ?? (typeof source === 'string' ? path.basename(source) : '<bytes>'),
      proto,
      session,
      inputShape: [null, typeof seq === 'number' ? seq : null],
      numClasses: 0,
      padId: options.padId ?? 0,
      inputs,
      outputName: output.name,
      outputKind: options.outputKind && options.outputKind !== 'auto' ? options.outputKind : (declaredOutputKind(proto) ?? 'logits'),
      bytes: bytes.length,
      maxBatchSize: options.maxBatchSize ?? 512,
    });
    const outShape = shapeOf(output) ?? [];
    let classes = outShape[outShape.length - 1];
    if (typeof classes !== 'number') {
      const probe = await model.run(new Tensor('int32', [1, typeof seq === 'number' ? seq : 2], new Int32Array(typeof seq === 'number' ? seq : 2).fill(model.padId)));
      classes = probe.shape[probe.shape.length - 1];
    }
    (model as { numClasses: number }).numClasses = Number(classes);
    return model;
  }

  /** The first output for token ids `[N, L]`, batch by batch. */
  async run(x: Tensor): Promise<Tensor<'float32'>> {
    if (x.dtype !== 'int32' && x.dtype !== 'float32') throw new DTypeError({ tensor: `${this.name} input 'input_ids'`, expected: 'int32 token ids', found: x.dtype });
    const fixed = this.inputShape[1];
    if (x.rank !== 2 || (typeof fixed === 'number' && x.shape[1] !== fixed)) {
      throw new ShapeMismatchError({ tensor: `${this.name} input 'input_ids'`, expected: formatShape(this.inputShape), found: formatShape(x.shape) });
    }
    const [n, L] = x.shape as [number, number];
    return runInBatches({
      session: this.session,
      name: this.name,
      outputName: this.outputName,
      rows: n,
      chunk: Math.max(1, this.maxBatchSize),
      feeds: (start, rows) => textFeeds(this.inputs, x.data.subarray(start * L, (start + rows) * L), rows, L, this.padId),
    });
  }

  /** Logits `[N, numClasses]` for token ids `[N, L]` (`log p` for a model whose output is probabilities). */
  async predict(x: Tensor): Promise<Tensor<'float32'>> {
    const y = await this.run(x);
    if (y.rank !== 2 || y.shape[1] !== this.numClasses) {
      throw new ShapeMismatchError({ tensor: `${this.name} output '${this.outputName}'`, expected: `[N,${this.numClasses}]`, found: formatShape(y.shape) });
    }
    return this.outputKind === 'probabilities' ? logitsFromProbabilities(y, true) : y;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
