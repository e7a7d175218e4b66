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

/**
 * Cast to the input's own dtype without a copy (tfjs' gradients cast float32 tensors to float32, e.g.
 * `Square`'s; the stock wasm Cast copies the whole activation); other casts go to `original`.
 */
export function makeCast(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    if (x.dtype !== dtype || x.dtype === 'string') return original(args);
    (args.backend as unknown as RefCounting).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
