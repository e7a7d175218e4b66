import * as tf from '@tensorflow/tfjs-core';
import { BLOCK_ROWS } from './reduce.js';
import { simdKernels } from './simd.js';
import { heapF32, type KernelFunc, sizeOf, type WasmBackendLike, WASM } from './wasm-backend.js';

/*
 * tfjs differentiates FusedBatchNorm with ~20 kernels (Sub, Mul, Rsqrt, Tile, Sum, ... each a pass over
 * the activation, most allocating one). With per-channel statistics ([c], channels last) on the wasm
 * backend (and a scale, as tfjs-layers always passes) this is one kernel: two SIMD passes give Σdy and Σdy·(x − mean) per channel, a third writes
 * dx = dy·scale/√(var + ε); the other four gradients follow per channel. The gradient is registered
 * globally in tfjs, so the replacement defers to tfjs' own gradient on every other backend and shape.
 */

/** Name of the fused BatchNormalization-gradient kernel (registered for the wasm backend only). */
export const BATCH_NORM_GRAD = 'ShrinkrayBatchNormGrad';

/**
 * Inputs `dy`, `x` ([..., c]), `mean`, `variance`, `scale` ([c]); attr
 * `varianceEpsilon`. Outputs the gradients of x, mean, variance, scale and offset, in that order, as
 * tfjs' FusedBatchNorm gradient defines them.
 */
export const batchNormGradKernel: KernelFunc = (args) => {
  const backend = args.backend as WasmBackendLike;
  const { dy, x, mean, variance, scale } = args.inputs as Record<'dy' | 'x' | 'mean' | 'variance' | 'scale', tf.TensorInfo>;
  const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
  const simd = simdKernels(backend);
  if (!simd) throw new Error(`${BATCH_NORM_GRAD} needs the SIMD module`);
  const c = mean.shape[0]!;
  const rows = sizeOf(x.shape) / c;
  const outs = [backend.makeOutput([...x.shape], 'float32'), ...[0, 1, 2, 3].map(() => backend.makeOutput([c], 'float32'))];
  // dx = dy·factor per channel (factor = scale/√(var + ε)), read from the heap by the SIMD pass.
  const factor = backend.makeOutput([c], 'float32');
  // Views after the last allocation (growing the heap detaches earlier ones).
  const [dxV, dMeanV, dVarV, dScaleV, dOffsetV] = outs.map((o) => heapF32(backend, o)) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const factorV = heapF32(backend, factor);
  const dyV = heapF32(backend, dy);
  const xV = heapF32(backend, x);
  const meanV = heapF32(backend, mean);
  const varV = heapF32(backend, variance);
  const scaleV = heapF32(backend, scale);
  // Σdy and Σdy·(x − mean) per channel: float32 lanes over blocks of rows (dMean/dVar as scratch), totals in float64.
  const sumDy = new Float64Array(c);
  const sumDyXc = new Float64Array(c);
  for (let r = 0; r < rows; r += BLOCK_ROWS) {
    const n = Math.min(BLOCK_ROWS, rows - r);
    const at = r * c * 4;
    dMeanV.fill(0);
    dVarV.fill(0);
    simd.columnSum(dyV.byteOffset + at, dMeanV.byteOffset, n, c);
    simd.columnSumCentredProduct(dyV.byteOffset + at, xV.byteOffset + at, meanV.byteOffset, dVarV.byteOffset, n, c);
    for (let j = 0; j < c; j++) {
      sumDy[j]! += dMeanV[j]!;
      sumDyXc[j]! += dVarV[j]!;
    }
  }
  for (let j = 0; j < c; j++) {
    const r = 1 / Math.sqrt(varV[j]! + varianceEpsilon);
    const s = scaleV[j]!;
    factorV[j] = r * s;
    dMeanV[j] = -r * s * sumDy[j]!;
    dVarV[j] = -0.5 * r * r * r * s * sumDyXc[j]!;
    dScaleV[j] = r * sumDyXc[j]!;
    dOffsetV[j] = sumDy[j]!;
  }
  simd.channel('mul', false, dyV.byteOffset, factorV.byteOffset, dxV.byteOffset, dxV.length, c);
  backend.disposeData(factor.dataId);
  return outs;
};

/** True when the gradient can run as {@link BATCH_NORM_GRAD}: wasm, float32, per-channel statistics and scale with channels a multiple of 4. */
function fusable(dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, scale: tf.Tensor): boolean {
  const c = x.shape[x.rank - 1];
  const perChannel = (t: tf.Tensor) => t.rank === 1 && t.shape[0] === c && t.dtype === 'float32';
  return (
    tf.getBackend() === WASM &&
    tf.getKernel(BATCH_NORM_GRAD, WASM) !== undefined &&
    x.rank >= 2 &&
    c !== undefined &&
    c % 4 === 0 &&
    x.dtype === 'float32' &&
    dy.dtype === 'float32' &&
    perChannel(mean) &&
    perChannel(variance) &&
    perChannel(scale) &&
    simdKernels(tf.backend() as unknown as WasmBackendLike) !== null
  );
}

/** The FusedBatchNorm gradient config with the one-kernel path on wasm; `original` elsewhere. */
export function makeBatchNormGradient(original: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved;
      const grad = Array.isArray(dy) ? undefined : dy;
      if (!grad || !x || !mean || !variance || !scale || !fusable(grad, x, mean, variance, scale)) return original.gradFunc(dy, saved, attrs);
      const inputs: tf.NamedTensorMap = { dy: grad, x, mean, variance, scale };
      const [dx, dMean, dVariance, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_GRAD, inputs, { varianceEpsilon: (attrs as { varianceEpsilon: number }).varianceEpsilon }) as unknown as tf.Tensor[];
      return { x: () => dx!, mean: () => dMean!, variance: () => dVariance!, scale: () => dScale!, offset: () => dOffset! };
    },
  };
}
