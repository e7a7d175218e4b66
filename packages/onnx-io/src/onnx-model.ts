import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { adaptInput, type DeclaredShape, DTypeError, formatShape, logitsFromProbabilities, type Model, type OutputKind, ShapeMismatchError, Tensor } from '@shrinkray/tensor-core';
import * as ort from 'onnxruntime-node';
import { runInBatches } from './batched-run.js';
import { shapeOf } from './builder.js';
import { directSession } from './direct-session.js';
import { OnnxFormatError } from './errors/onnx-format-error.js';
import { runtimeInputs } from './graph-utils.js';
import { decodeOnnx } from './io.js';
import { declaredOutputKind } from './output-kind.js';
import { inThreadSession, type SessionRunner } from './session-runner.js';
import { dataTypeName } from './tensor-proto.js';
import { DataType, type ModelProto } from './types.js';
import { WorkerSession } from './worker-session.js';

/** Session and batching options for `OnnxModel`. */
export interface OnnxModelOptions {
  /** Name for messages and reports (default: the file's base name). */
  name?: string;
  /** Threads inside one op (default: min(2, CPUs)), small so several sessions can share a machine. */
  intraOpNumThreads?: number;
  /** Threads across ops (default 1). */
  interOpNumThreads?: number;
  /** ORT graph optimisation level (default `all`). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Let ORT's intra-op threads spin while waiting (default false: friendlier to other sessions). */
  allowSpinning?: boolean;
  /** Largest batch sent to ORT in one run (default 512); a fixed batch dimension in the model wins. */
  maxBatchSize?: number;
  /**
   * Force how the output is read; `auto` (default) follows the model's `shrinkray.output_kind`
   * metadata when present, else treats a final Softmax as probabilities.
   */
  outputKind?: OutputKind | 'auto';
  /** Largest tensor accepted when parsing the file (bytes). */
  maxTensorBytes?: number;
  /**
   * Run the session on a worker thread (default false). ORT's `run` blocks the thread it runs on;
   * with `worker: true` the caller's event loop stays live (progress bars, timers, other requests).
   */
  worker?: boolean;
  /**
   * Call ONNX Runtime's native session directly and synchronously (default false): skips the
   * public API's per-call `setImmediate` hop and argument checks, ~7–12 µs per run, which is most
   * of the time of a small model at batch 1. A whole `predict` then runs without yielding to the
   * event loop. Falls back to the public session (see `session.kind`) when the installed
   * onnxruntime-node does not expose its binding as expected. Ignored with `worker: true`.
   */
  lowLatency?: boolean;
}

function endsInSoftmax(model: ModelProto, output: string): boolean {
  const producer = new Map(model.graph.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
  let name = output;
  for (let hops = 0; hops < 8; hops++) {
    const node = producer.get(name);
    if (!node) return false;
    if (node.opType === 'Softmax') return true;
    if (node.opType !== 'Identity' && node.opType !== 'Dropout') return false;
    name = node.input[0] ?? '';
  }
  return false;
}

/**
 * An ONNX model behind an onnxruntime-node `InferenceSession`, implementing the tensor-core `Model`
 * interface: `predict(x)` adapts NHWC or flat float32 data to the model's declared input layout,
 * validates it before ORT sees it, runs it in batches and returns logits (a model ending in
 * Softmax is read as emitting probabilities and `log(p)` is returned, as `TfjsModel` does).
 *
 * @example
 * const model = await OnnxModel.create('teacher.onnx', { intraOpNumThreads: 2 });
 * const logits = await model.predict(x); // x: [N,28,28,1] float32
 * await model.dispose();
 */
export class OnnxModel implements Model {
  readonly name: string;
  /** The parsed model file. */
  readonly proto: ModelProto;
  /** The ONNX Runtime session: in this thread, called directly with `lowLatency: true`, or on a worker thread with `worker: true`. */
  readonly session: SessionRunner;
  readonly inputName: string;
  readonly outputName: string;
  /** Declared input shape, batch first (`null` where free). */
  readonly inputShape: DeclaredShape;
  readonly numClasses: number;
  /** Float32 features; graphs that read token ids open as `OnnxTextModel`. */
  readonly inputDType = 'float32' as const;
  readonly outputKind: OutputKind;
  /** The model's fixed batch size, when its input declares one (e.g. 1 for some PyTorch exports). */
  readonly fixedBatch: number | undefined;
  maxBatchSize: number;
  /** Size of the model file in bytes. */
  readonly bytes: number;

  private constructor(args: {
    name: string;
    proto: ModelProto;
    session: SessionRunner;
    inputName: string;
    outputName: string;
    inputShape: DeclaredShape;
    numClasses: number;
    outputKind: OutputKind;
    maxBatchSize: number;
    bytes: number;
  }) {
    this.name = args.name;
    this.proto = args.proto;
    this.session = args.session;
    this.inputName = args.inputName;
    this.outputName = args.outputName;
    this.inputShape = args.inputShape;
    this.numClasses = args.numClasses;
    this.outputKind = args.outputKind;
    this.maxBatchSize = args.maxBatchSize;
    this.bytes = args.bytes;
    const batch = args.inputShape[0];
    this.fixedBatch = typeof batch === 'number' && batch > 0 ? batch : undefined;
  }

  /** Session options built from `OnnxModelOptions` (exposed for callers that create sessions themselves). */
  static sessionOptions(options: OnnxModelOptions = {}): ort.InferenceSession.SessionOptions {
    const cpus = availableParallelism();
    return {
      executionProviders: ['cpu'],
      intraOpNumThreads: options.intraOpNumThreads ?? Math.max(1, Math.min(2, cpus)),
      interOpNumThreads: options.interOpNumThreads ?? 1,
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      executionMode: 'sequential',
      extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' }, inter_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
    };
  }

  /** Opens an ONNX model from a path or bytes. Errors in the file are `OnnxFormatError`s. */
  static async create(source: string | Uint8Array, options: OnnxModelOptions = {}): Promise<OnnxModel> {
    const file = typeof source === 'string' ? source : (options.name ?? '<bytes>');
    let bytes: Uint8Array;
    if (typeof source === 'string') {
      try {
        bytes = await readFile(source);
      } catch (error) {
        throw new OnnxFormatError(file, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot be read (${(error as Error).message})`, { cause: error });
      }
    } else bytes = source;
    const proto = decodeOnnx(bytes, { name: file, ...(options.maxTensorBytes ? { maxTensorBytes: options.maxTensorBytes } : {}) });
    const inputs = runtimeInputs(proto.graph);
    const input = inputs[0];
    const output = proto.graph.output[0];
    if (inputs.length !== 1 || !input) throw new OnnxFormatError(file, `expected one runtime input, found ${inputs.length} (${inputs.map((i) => i.name).join(', ')})`);
    if (!output) throw new OnnxFormatError(file, 'graph has no output');
    const elem = input.type?.tensorType?.elemType;
    if (elem !== DataType.FLOAT) throw new DTypeError({ tensor: `${file} input '${input.name}'`, expected: 'FLOAT', found: dataTypeName(elem) });
    const declared = shapeOf(input);
    if (!declared) throw new OnnxFormatError(file, `input '${input.name}' declares no shape`);
    let session: SessionRunner;
    try {
      const sessionOptions = OnnxModel.sessionOptions(options);
      session = options.worker
        ? await WorkerSession.create(bytes, sessionOptions)
        : ((options.lowLatency ? directSession(bytes, sessionOptions) : undefined) ?? inThreadSession(await ort.InferenceSession.create(bytes, sessionOptions)));
    } catch (error) {
      throw new OnnxFormatError(file, `onnxruntime cannot load the model: ${(error as Error).message.split('\n')[0]}`, { cause: error });
    }
    const inputShape: DeclaredShape = declared.map((d, i) => (i === 0 && typeof d !== 'number' ? null : d));
    const outShape = shapeOf(output) ?? [];
    let classes = outShape[outShape.length - 1];
    const kind: OutputKind = options.outputKind && options.outputKind !== 'auto' ? options.outputKind : (declaredOutputKind(proto) ?? (endsInSoftmax(proto, output.name) ? 'probabilities' : 'logits'));
    const model = new OnnxModel({
      name: options.name ?? (typeof source === 'string' ? path.basename(source) : '<bytes>'),
      proto,
      session,
      inputName: input.name,
      outputName: output.name,
      inputShape,
      numClasses: 0,
      outputKind: kind,
      maxBatchSize: options.maxBatchSize ?? 512,
      bytes: bytes.length,
    });
    if (typeof classes !== 'number') {
      // Symbolic class dimension: run one zero example to learn it.
      const probe = Tensor.zeros('float32', [model.fixedBatch ?? 1, ...inputShape.slice(1).map((d) => (typeof d === 'number' ? d : 1))]);
      const y = await model.run(probe);
      classes = y.shape[y.shape.length - 1];
    }
    (model as { numClasses: number }).numClasses = Number(classes);
    return model;
  }

  /** Checks dtype and shape against the declared input; throws before ORT is called. */
  private validate(x: Tensor): void {
    if (x.dtype !== 'float32') throw new DTypeError({ tensor: `${this.name} input '${this.inputName}'`, expected: 'float32', found: x.dtype });
    const declared = this.inputShape;
    const ok = x.rank === declared.length && declared.every((d, i) => i === 0 || typeof d !== 'number' || d === x.shape[i]);
    if (!ok) {
      throw new ShapeMismatchError({ tensor: `${this.name} input '${this.inputName}'`, expected: formatShape(declared), found: formatShape(x.shape) });
    }
  }

  /**
   * Runs the model on data already in (or adaptable to) its input layout and returns its first
   * output as ORT gives it (probabilities stay probabilities), batching by `maxBatchSize` or the
   * model's fixed batch size.
   */
  async run(x: Tensor): Promise<Tensor<'float32'>> {
    if (x.dtype !== 'float32') throw new DTypeError({ tensor: `${this.name} input '${this.inputName}'`, expected: 'float32', found: x.dtype });
    const free: DeclaredShape = [null, ...this.inputShape.slice(1)];
    const adapted = adaptInput(x as Tensor<'float32'>, free, `${this.name} input '${this.inputName}'`);
    this.validate(adapted);
    const n = adapted.shape[0] ?? 0;
    return runInBatches({
      session: this.session,
      name: this.name,
      outputName: this.outputName,
      rows: n,
      chunk: this.fixedBatch ?? Math.max(1, this.maxBatchSize),
      feeds: (start, rows) => {
        let part = adapted.sliceRows(start, start + rows);
        if (this.fixedBatch !== undefined && rows < this.fixedBatch) {
          const padded = Tensor.zeros('float32', [this.fixedBatch, ...part.shape.slice(1)]);
          padded.data.set(part.data);
          part = padded;
        }
        return { [this.inputName]: new ort.Tensor('float32', part.data as Float32Array, [...part.shape]) };
      },
    });
  }

  /** Logits `[N, numClasses]` for a float32 batch (NHWC images, flat vectors, or the model's own layout). */
  async predict(x: Tensor<'float32'>): Promise<Tensor<'float32'>> {
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
