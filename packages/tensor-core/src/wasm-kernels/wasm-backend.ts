import * as tf from '@tensorflow/tfjs-core';

/**
 * The part of `@tensorflow/tfjs-backend-wasm`'s `BackendWasm` the kernel fixes use. Declared here (not
 * imported) so that tensor-core builds and loads without the wasm package present.
 */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  dataIdMap: { get(dataId: object): { shape: number[] } | undefined };
}

/** A kernel's function as tfjs stores it. */
export type KernelFunc = tf.KernelConfig['kernelFunc'];

/** Arguments a kernel function receives. */
export type KernelArgs = Parameters<KernelFunc>[0];

export const WASM = 'wasm';

/** The currently registered wasm kernel `name`, or a clear error when the wasm backend is not loaded. */
export function wasmKernel(name: string): KernelFunc {
  const config = tf.getKernel(name, WASM);
  if (config === undefined) throw new Error(`wasm kernel '${name}' is not registered (is @tensorflow/tfjs-backend-wasm loaded?)`);
  return config.kernelFunc;
}

/** Runs a kernel that returns a single tensor. */
export function runSingle(func: KernelFunc, args: KernelArgs): tf.TensorInfo {
  const out = func(args);
  if (Array.isArray(out)) throw new Error('expected a kernel with one output');
  return out;
}

/** Float32 view of a tensor's data in the wasm heap. Take it after the last allocation: memory growth detaches it. */
export function heapF32(backend: WasmBackendLike, info: tf.TensorInfo): Float32Array {
  const view = backend.typedArrayFromHeap(info);
  if (!(view instanceof Float32Array)) throw new Error(`expected float32 data, found ${info.dtype}`);
  return view;
}

/** Sets the shape of a kernel output, both on the TensorInfo and in the backend's record of it. */
export function setShape(backend: WasmBackendLike, info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  const record = backend.dataIdMap.get(info.dataId);
  if (record) record.shape = shape;
  (info as { shape: number[] }).shape = shape;
  return info;
}

/** A view of `info` with another shape of the same size (no copy, no reference count change). */
export function view(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** Transposes the last two axes with the wasm `Transpose` kernel (a new tensor the caller disposes). */
export function transposeLastTwo(backend: WasmBackendLike, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = x.shape.map((_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return runSingle(wasmKernel(tf.Transpose), { inputs: { x }, backend, attrs: { perm } });
}

/** Transposes with the wasm `Transpose` kernel (a new tensor the caller disposes). */
export function transpose(backend: WasmBackendLike, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return runSingle(wasmKernel(tf.Transpose), { inputs: { x }, backend, attrs: { perm } });
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
