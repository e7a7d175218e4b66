import * as tf from '@tensorflow/tfjs-core';
import { type ChannelOp, simdKernels } from './simd.js';
import { heapF32, type KernelFunc, sizeOf, type WasmBackendLike } from './wasm-backend.js';

/*
 * Arithmetic between an activation [..., c] and a per-channel vector ([c] or [1, ..., 1, c]): bias adds
 * of tfjs-layers' Conv2D and most of BatchNormalization's forward and backward pass. The stock wasm
 * kernels send every broadcast through generic index arithmetic (~8 ns per element here); this is one
 * pass over the heap: 128-bit SIMD (`simd.ts`) when the channel count is a multiple of 4, else a
 * JavaScript loop.
 */

const SIMD_OPS: Record<string, ChannelOp> = { [tf.Add]: 'add', [tf.Sub]: 'sub', [tf.Multiply]: 'mul', [tf.RealDiv]: 'div' };

/**
 * `y = x op v` (activation first) or `y = v op x` (vector first), `v` repeating every `c` elements.
 * One function literal per op and order: a shared loop calling `op` through a closure turned
 * megamorphic once Add, Sub, Multiply and RealDiv all ran (measured in a ResNet step: ~22 ns per
 * element instead of ~2).
 */
type Loop = (x: Float32Array, v: Float32Array, y: Float32Array, c: number) => void;

const LOOPS: Record<string, readonly [activationFirst: Loop, vectorFirst: Loop]> = {
  [tf.Add]: [
    (x, v, y, c) => {
      for (let i = 0, j = 0; i < x.length; i++) {
        y[i] = x[i]! + v[j]!;
        if (++j === c) j = 0;
      }
    },
    (x, v, y, c) => {
      for (let i = 0, j = 0; i < x.length; i++) {
        y[i] = v[j]! + x[i]!;
        if (++j === c) j = 0;
      }
    },
  ],
  [tf.Sub]: [
    (x, v, y, c) => {
      for (let i = 0, j = 0; i < x.length; i++) {
        y[i] = x[i]! - v[j]!;
        if (++j === c) j = 0;
      }
    },
    (x, v, y, c) => {
      for (let i = 0, j = 0; i < x.length; i++) {
        y[i] = v[j]! - x[i]!;
        if (++j === c) j = 0;
      }
    },
  ],
  [tf.Multiply]: [
    (x, v, y, c) => {
      for (let i = 0, j = 0; i < x.length; i++) {
        y[i] = x[i]! * v[j]!;
        if (++j === c) j = 0;
      }
    },
    (x, v, y, c) => {
      for (let i = 0, j = 0; i < x.length; i++) {
        y[i] = v[j]! * x[i]!;
        if (++j === c) j = 0;
      }
    },
  ],
  [tf.RealDiv]: [
    (x, v, y, c) => {
      for (let i = 0, j = 0; i < x.length; i++) {
        y[i] = x[i]! / v[j]!;
        if (++j === c) j = 0;
      }
    },
    (x, v, y, c) => {
      for (let i = 0, j = 0; i < x.length; i++) {
        y[i] = v[j]! / x[i]!;
        if (++j === c) j = 0;
      }
    },
  ],
};

/** Kernels with a per-channel fast path. */
export const CHANNEL_BINARY_KERNELS = Object.keys(LOOPS);

/** `channels` when `small` is a per-channel vector of `big` (same or lower rank), else 0. */
function perChannel(big: readonly number[], small: readonly number[]): number {
  const c = big[big.length - 1];
  if (big.length < 2 || c === undefined || small.length > big.length || small[small.length - 1] !== c) return 0;
  return sizeOf(small) === c && sizeOf(big) > c ? c : 0;
}

/** Binary kernel `name` with the per-channel fast path; `original` for every other case. */
export function makeChannelBinary(name: string, original: KernelFunc): KernelFunc {
  const loops = LOOPS[name];
  const simdOp = SIMD_OPS[name];
  if (!loops || !simdOp) throw new Error(`no per-channel fast path for '${name}'`);
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
    const simd = c % 4 === 0 ? simdKernels(backend) : null;
    if (simd) simd.channel(simdOp, !aBig, x.byteOffset, v.byteOffset, y.byteOffset, x.length, c);
    else loops[aBig ? 0 : 1](x, v, y, c);
    return out;
  };
}
