import * as tf from '@tensorflow/tfjs-core';
import { heapF32, type KernelFunc, sizeOf, type WasmBackendLike } from './wasm-backend.js';

/*
 * Arithmetic between an activation [..., c] and a per-channel vector ([c] or [1, ..., 1, c]): bias adds
 * of tfjs-layers' Conv2D and most of BatchNormalization's forward and backward pass. The stock wasm
 * kernels send every broadcast through generic index arithmetic (~8 ns per element here); this is one
 * pass over the heap.
 */

type Op = (x: number, y: number) => number;

const OPS: Record<string, Op> = {
  [tf.Add]: (x, y) => x + y,
  [tf.Sub]: (x, y) => x - y,
  [tf.Multiply]: (x, y) => x * y,
  [tf.RealDiv]: (x, y) => x / y,
};

/** Kernels with a per-channel fast path. */
export const CHANNEL_BINARY_KERNELS = Object.keys(OPS);

/** `channels` when `small` is a per-channel vector of `big` (same or lower rank), else 0. */
function perChannel(big: readonly number[], small: readonly number[]): number {
  const c = big[big.length - 1];
  if (big.length < 2 || c === undefined || small.length > big.length || small[small.length - 1] !== c) return 0;
  return sizeOf(small) === c && sizeOf(big) > c ? c : 0;
}

/** Binary kernel `name` with the per-channel fast path; `original` for every other case. */
export function makeChannelBinary(name: string, original: KernelFunc): KernelFunc {
  const op = OPS[name];
  if (!op) throw new Error(`no per-channel fast path for '${name}'`);
  return (args) => {
    const backend = args.backend as WasmBackendLike;
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
    const aBig = perChannel(a.shape, b.shape);
    const bBig = aBig ? 0 : perChannel(b.shape, a.shape);
    const c = aBig || bBig;
    if (!c) return original(args);
    const big = aBig ? a : b;
    const out = backend.makeOutput([...big.shape], 'float32');
    const x = heapF32(backend, big);
    const v = heapF32(backend, aBig ? b : a);
    const y = heapF32(backend, out);
    const n = x.length;
    if (aBig) {
      for (let i = 0; i < n; i += c) for (let j = 0; j < c; j++) y[i + j] = op(x[i + j]!, v[j]!);
    } else {
      for (let i = 0; i < n; i += c) for (let j = 0; j < c; j++) y[i + j] = op(v[j]!, x[i + j]!);
    }
    return out;
  };
}
