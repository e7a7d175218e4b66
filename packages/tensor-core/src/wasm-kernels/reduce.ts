import type * as tf from '@tensorflow/tfjs-core';
import { simdKernels } from './simd.js';
import { heapF32, type KernelFunc, sizeOf, type WasmBackendLike } from './wasm-backend.js';

/*
 * The stock wasm Sum and Mean transpose their input so that the reduced axes are innermost, then
 * reduce. Bias gradients and BatchNormalization statistics reduce the leading axes ([n,h,w,c] -> [c]),
 * so each one paid a full transpose (~3 ns per element). These reduce leading axes in place: 128-bit
 * SIMD column sums (`simd.ts`) over blocks of rows whose totals are added in float64 when the kept
 * width is a multiple of 4, else a float64 JavaScript loop.
 */

/** Rows per SIMD block: float32 partial sums over at most this many rows, then float64. */
export const BLOCK_ROWS = 256;

function normalizeAxes(axis: number | number[], rank: number): number[] {
  const list = Array.isArray(axis) ? axis : [axis];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
}

/** Σ over rows of `data` ([rows, width], row-major) in float64. */
function leadingSums(backend: WasmBackendLike, data: Float32Array, out: Float32Array, rows: number, width: number): Float64Array {
  const acc = new Float64Array(width);
  const simd = width % 4 === 0 ? simdKernels(backend) : null;
  if (simd) {
    // `out` is the scratch of each block's float32 sums.
    for (let r = 0; r < rows; r += BLOCK_ROWS) {
      out.fill(0);
      simd.columnSum(data.byteOffset + r * width * 4, out.byteOffset, Math.min(BLOCK_ROWS, rows - r), width);
      for (let j = 0; j < width; j++) acc[j]! += out[j]!;
    }
    return acc;
  }
  for (let r = 0, p = 0; r < rows; r++) {
    for (let j = 0; j < width; j++) acc[j]! += data[p++]!;
  }
  return acc;
}

/**
 * `Sum` (or `Mean`) over the leading axes of float32 input; `original` for every other case, and for
 * leading-axes reductions too when `originalAbove` is given and the input has at least that many
 * elements without a SIMD path (ORT's reductions are faster than the JavaScript loop there).
 */
export function makeLeadingReduce(kind: 'Sum' | 'Mean', original: KernelFunc, originalAbove = Number.POSITIVE_INFINITY): KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackendLike;
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    if (x.dtype !== 'float32' || rank < 2) return original(args);
    // tfjs passes a null axis for "every axis".
    const axes = normalizeAxes(axis ?? x.shape.map((_, i) => i), rank);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (!leading) return original(args);
    const keptShape = x.shape.slice(axes.length);
    const rows = sizeOf(x.shape.slice(0, axes.length));
    const width = sizeOf(keptShape);
    if (rows * width === 0) return original(args);
    if (rows * width >= originalAbove && (width % 4 !== 0 || simdKernels(backend) === null)) return original(args);
    const outShape = keepDims ? [...axes.map(() => 1), ...keptShape] : keptShape;
    const out = backend.makeOutput(outShape, 'float32');
    const outView = heapF32(backend, out);
    const sums = leadingSums(backend, heapF32(backend, x), outView, rows, width);
    if (kind === 'Mean') for (let j = 0; j < width; j++) sums[j] = sums[j]! / rows;
    outView.set(sums);
    return out;
  };
}

/** Sum over the leading axes of float32 input; `original` for every other case. */
export function makeSum(original: KernelFunc, originalAbove?: number): KernelFunc {
  return makeLeadingReduce('Sum', original, originalAbove);
}
