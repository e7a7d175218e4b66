import type * as tf from '@tensorflow/tfjs-core';
import { heapF32, type KernelFunc, sizeOf, type WasmBackendLike } from './wasm-backend.js';

/*
 * The stock wasm Sum transposes its input so that the reduced axes are innermost, then reduces. Bias
 * gradients reduce the leading axes ([n,h,w,c] -> [c]), so each one paid a full transpose (~3 ns per
 * element). This sums leading axes in place, row by row, accumulating in float64.
 */

function normalizeAxes(axis: number | number[], rank: number): number[] {
  const list = Array.isArray(axis) ? axis : [axis];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
}

/** Sum over the leading axes of float32 input; `original` for every other case. */
export function makeSum(original: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackendLike;
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    if (x.dtype !== 'float32' || rank < 2) return original(args);
    const axes = normalizeAxes(axis, rank);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (!leading) return original(args);
    const keptShape = x.shape.slice(axes.length);
    const rows = sizeOf(x.shape.slice(0, axes.length));
    const width = sizeOf(keptShape);
    if (rows * width === 0) return original(args);
    const outShape = keepDims ? [...axes.map(() => 1), ...keptShape] : keptShape;
    const out = backend.makeOutput(outShape, 'float32');
    const data = heapF32(backend, x);
    const acc = new Float64Array(width);
    for (let r = 0, p = 0; r < rows; r++) {
      for (let j = 0; j < width; j++) acc[j]! += data[p++]!;
    }
    heapF32(backend, out).set(acc);
    return out;
  };
}
