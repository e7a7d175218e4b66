import type * as tf from '@tensorflow/tfjs-core';
import { type KernelFunc, sizeOf, type WasmBackendLike } from './wasm-backend.js';

/*
 * The stock wasm Transpose runs 5-50 ns per element on 2-D shapes here (a 512x512 transpose: ~3-15 ms),
 * more than the matrix product it prepares. Every permutation that is a (batched) 2-D transpose once
 * size-1 axes are dropped and axes that stay adjacent are merged - [1,0], [0,2,1], NCHW<->NHWC, ... -
 * runs here as a cache-blocked copy in the wasm heap (~0.5-2 ns per element); others stay on the stock kernel.
 */

/** The permutation as a batched 2-D transpose [batch, rows, cols] -> [batch, cols, rows], if it is one. */
export function asBatchedTranspose(shape: readonly number[], perm: readonly number[]): { batch: number; rows: number; cols: number } | undefined {
  // Drop size-1 axes.
  const kept = shape.map((_, i) => i).filter((i) => shape[i] !== 1);
  const rank = new Map(kept.map((axis, i) => [axis, i]));
  const p = perm.filter((axis) => shape[axis] !== 1).map((axis) => rank.get(axis)!);
  const dims = kept.map((axis) => shape[axis]!);
  if (p.length < 2) return undefined;
  // Merge runs of output axes that read consecutive input axes.
  const groups: number[][] = [];
  for (const axis of p) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1]! + 1 === axis) last.push(axis);
    else groups.push([axis]);
  }
  const size = (g: number[]) => g.reduce((n, axis) => n * dims[axis]!, 1);
  if (groups.length === 2) {
    // Output order is [g0, g1] with g0 reading the later input axes: a 2-D transpose of [size(g1), size(g0)].
    return { batch: 1, rows: size(groups[1]!), cols: size(groups[0]!) };
  }
  if (groups.length === 3 && groups[0]![0] === 0 && groups[1]![0]! > groups[2]![0]!) {
    return { batch: size(groups[0]!), rows: size(groups[2]!), cols: size(groups[1]!) };
  }
  return undefined;
}

type Heap = Float32Array | Int32Array | Uint8Array;

/** dst[b][c][r] = src[b][r][c], in 32x32 blocks. */
export function blockedTranspose(src: Heap, dst: Heap, batch: number, rows: number, cols: number): void {
  const B = 32;
  const plane = rows * cols;
  for (let b = 0; b < batch; b++) {
    const base = b * plane;
    for (let r0 = 0; r0 < rows; r0 += B) {
      const r1 = Math.min(rows, r0 + B);
      for (let c0 = 0; c0 < cols; c0 += B) {
        const c1 = Math.min(cols, c0 + B);
        for (let r = r0; r < r1; r++) {
          let s = base + r * cols + c0;
          let d = base + c0 * rows + r;
          for (let c = c0; c < c1; c++, d += rows) dst[d] = src[s++]!;
        }
      }
    }
  }
}

/** Transpose for the wasm backend: batched 2-D permutations in JS, the rest on `original`. */
export function makeTranspose(original: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackendLike;
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as unknown as tf.TransposeAttrs;
    if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') return original(args);
    const plan = asBatchedTranspose(x.shape, perm);
    if (!plan || sizeOf(x.shape) < 64) return original(args);
    const out = backend.makeOutput(
      perm.map((axis) => x.shape[axis]!),
      x.dtype,
    );
    blockedTranspose(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), plan.batch, plan.rows, plan.cols);
    return out;
  };
}
