import { availableParallelism } from 'node:os';
import { loadOrtBinding, ortLoadFailure } from '../../ort-loader.js';

/*
 * onnxruntime-node's native binding, loaded lazily and called synchronously. tfjs kernels are
 * synchronous, and the public `InferenceSession.run` is a promise (deferred with `setImmediate`), so
 * the kernels call the binding's session directly, as onnx-io's `directSession` does for inference.
 * onnxruntime-node is an optional peer dependency: when it is absent (or lays its binding out
 * differently) {@link loadOrt} returns null and the wasm kernels stay.
 */

/** A tensor as the binding reads feeds and pre-allocated fetches: a float32 view and its dims. */
export interface OrtTensorLike {
  readonly type: 'float32';
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/** The part of the binding's native session the kernels use. */
export interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: Record<string, unknown>): void;
  run(feeds: Record<string, OrtTensorLike>, fetches: Record<string, OrtTensorLike | null>, options: Record<string, unknown>): Record<string, unknown>;
  dispose(): void;
}

/** The loaded runtime: a session factory and the Tensor constructor the binding expects. */
export interface OrtRuntime {
  /** Creates a session for an ONNX model (bytes) with the kernels' session options. */
  createSession(model: Uint8Array): NativeSession;
  /** Wraps a float32 view (typically of the wasm heap; no copy) as a tensor the binding accepts. */
  tensor(data: Float32Array, dims: readonly number[]): OrtTensorLike;
  /** onnxruntime-node's version. */
  readonly version: string;
  /** Intra-op threads of every kernel session. */
  readonly threads: number;
}

/** Environment variable: intra-op threads of the ORT kernel sessions (default: all cores). */
export const ORT_THREADS_ENV = 'SHRINKRAY_ORT_THREADS';

let cached: OrtRuntime | null | undefined;

function threadCount(): number {
  const configured = Number(process.env[ORT_THREADS_ENV]);
  return Number.isInteger(configured) && configured > 0 ? configured : availableParallelism();
}

/**
 * The ONNX Runtime the kernels use, or null when onnxruntime-node is not installed or its binding is
 * not laid out as expected (see {@link ortUnavailableReason}). Loaded once, through tensor-core's one
 * onnxruntime-node loader (`loadOrtBinding`).
 */
export function loadOrt(): OrtRuntime | null {
  if (cached !== undefined) return cached;
  const binding = loadOrtBinding();
  if (!binding) {
    cached = null;
    return cached;
  }
  const { InferenceSession, Tensor } = binding;
  const threads = threadCount();
  const options = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Idle ORT threads must not spin: between ORT kernels the wasm backend computes on this core.
    extra: { 'session.intra_op.allow_spinning': '0' },
  };
  cached = {
    createSession(model) {
      const session = new InferenceSession();
      session.loadModel(model.buffer, model.byteOffset, model.byteLength, options);
      return session as NativeSession;
    },
    tensor: (data, dims) => new Tensor('float32', data, dims),
    version: binding.version,
    threads,
  };
  return cached;
}

/** Why {@link loadOrt} returned null (undefined when it did not, or was not called). */
export function ortUnavailableReason(): string | undefined {
  return cached === null ? ortLoadFailure() : undefined;
}
