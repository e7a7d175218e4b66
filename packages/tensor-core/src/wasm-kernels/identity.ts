import type * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc } from './wasm-backend.js';

/*
 * The stock wasm Identity copies its input into a new buffer. Tensors are immutable (a variable's
 * assign swaps its data id), so the output can share the input's data, as the wasm Reshape kernel and
 * the cpu backend's Identity do: the backend's reference count keeps it alive until both are disposed.
 * Autodiff passes every gradient through Identity: tens of copies of whole activations per step.
 */

interface RefCounting {
  incRef(dataId: object): void;
}

/** Identity without a copy for numeric tensors; `original` for strings. */
export function makeIdentity(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string') return original(args);
    (args.backend as unknown as RefCounting).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
