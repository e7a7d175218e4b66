import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';

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

interface BindingModule {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

type TensorCtor = new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensorLike;

// A variable specifier keeps TypeScript and bundlers from resolving the optional peer at build time.
const ortPackage: string = 'onnxruntime-node';

/** Environment variable: intra-op threads of the ORT kernel sessions (default: all cores). */
export const ORT_THREADS_ENV = 'SHRINKRAY_ORT_THREADS';

let cached: OrtRuntime | null | undefined;
let failure: string | undefined;

function threadCount(): number {
  const configured = Number(process.env[ORT_THREADS_ENV]);
  return Number.isInteger(configured) && configured > 0 ? configured : availableParallelism();
}

/**
 * The ONNX Runtime the kernels use, or null when onnxruntime-node is not installed or its binding is
 * not laid out as expected (see {@link ortUnavailableReason}). Loaded once.
 */
export function loadOrt(): OrtRuntime | null {
  if (cached !== undefined) return cached;
  try {
    const require = createRequire(import.meta.url);
    const binding = require(`${ortPackage}/dist/binding.js`) as Partial<BindingModule>;
    const pkg = require(ortPackage) as { Tensor?: TensorCtor; env?: { versions?: { node?: string } } };
    const version = (require(`${ortPackage}/package.json`) as { version?: string }).version ?? 'unknown';
    if (typeof binding.initOrt !== 'function' || typeof binding.binding?.InferenceSession !== 'function' || typeof pkg.Tensor !== 'function') {
      throw new Error(`${ortPackage} ${version} does not expose its native binding as expected`);
    }
    const { initOrt, binding: native } = binding as BindingModule;
    const Tensor = pkg.Tensor;
    const threads = threadCount();
    const options = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Idle ORT threads must not spin: between ORT kernels the wasm backend computes on this core.
      extra: { 'session.intra_op.allow_spinning': '0' },
    };
    initOrt();
    cached = {
      createSession(model) {
        const session = new native.InferenceSession();
        session.loadModel(model.buffer, model.byteOffset, model.byteLength, options);
        return session;
      },
      tensor: (data, dims) => new Tensor('float32', data, dims),
      version,
      threads,
    };
  } catch (error) {
    failure = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    cached = null;
  }
  return cached;
}

/** Why {@link loadOrt} returned null (undefined when it did not, or was not called). */
export function ortUnavailableReason(): string | undefined {
  return failure;
}
