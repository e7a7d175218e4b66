import * as tf from '@tensorflow/tfjs-core';
import { simdKernels } from './simd.js';
import { heapF32, type KernelFunc, type WasmBackendLike } from './wasm-backend.js';

/*
 * The stock wasm FusedBatchNorm runs a scalar loop with per-element index arithmetic (~13 ns per element
 * here). With per-channel statistics it is `y = x·a + b` per channel (a = scale/√(var + ε),
 * b = offset − mean·a): two SIMD channel passes (`simd.ts`).
 */

/** FusedBatchNorm with per-channel ([c], channels last, c a multiple of 4) float32 statistics; `original` otherwise. */
export function makeBatchNorm(original: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackendLike;
    const { x, mean, variance, offset, scale } = args.inputs as Record<'x' | 'mean' | 'variance', tf.TensorInfo> & { offset?: tf.TensorInfo; scale?: tf.TensorInfo };
    const { varianceEpsilon } = args.attrs as unknown as tf.FusedBatchNormAttrs;
    const c = x.shape[x.shape.length - 1];
    const perChannel = (t: tf.TensorInfo | undefined) => t == null || (t.dtype === 'float32' && t.shape.length === 1 && t.shape[0] === c);
    const simd = simdKernels(backend);
    if (!simd || x.dtype !== 'float32' || x.shape.length < 2 || c === undefined || c % 4 !== 0 || ![mean, variance, offset, scale].every(perChannel)) return original(args);
    const out = backend.makeOutput([...x.shape], 'float32');
    const factors = backend.makeOutput([2, c], 'float32');
    // Views after the last allocation.
    const y = heapF32(backend, out);
    const f = heapF32(backend, factors);
    const [m, v] = [heapF32(backend, mean), heapF32(backend, variance)];
    const s = scale ? heapF32(backend, scale) : undefined;
    const o = offset ? heapF32(backend, offset) : undefined;
    for (let j = 0; j < c; j++) {
      const a = (s ? s[j]! : 1) / Math.sqrt(v[j]! + varianceEpsilon);
      f[j] = a;
      f[c + j] = (o ? o[j]! : 0) - m[j]! * a;
    }
    simd.channel('mul', false, heapF32(backend, x).byteOffset, f.byteOffset, y.byteOffset, y.length, c);
    simd.channel('add', false, y.byteOffset, f.byteOffset + c * 4, y.byteOffset, y.length, c);
    backend.disposeData(factors.dataId);
    return out;
  };
}
