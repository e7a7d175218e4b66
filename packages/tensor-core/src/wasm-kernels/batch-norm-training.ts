import * as tf from '@tensorflow/tfjs-core';
import { BLOCK_ROWS } from './reduce.js';
import { type SimdKernels, simdKernels } from './simd.js';
import { heapF32, type KernelFunc, sizeOf, type WasmBackendLike, WASM } from './wasm-backend.js';

/*
 * BatchNormalization in training mode as tfjs-layers computes it: `tf.moments` (Mean, Sub, Square,
 * Mean), then FusedBatchNorm with those batch statistics. Forward that is six passes over the
 * activation and two temporaries; backward tfjs differentiates the statistics too (Tile, Multiply,
 * Multiply, Sum, Tile and two Adds accumulating x's gradient, besides FusedBatchNorm's own gradient):
 * about a dozen passes, most allocating. With the statistics inside one op, forward is two SIMD
 * passes (Σd and Σd² with d = x − shift, then the normalisation) and backward two (Σdy and
 * Σdy·(x − mean), then dx = dy·a + (x − mean)·b + k per channel, the closed form of the whole chain's
 * gradient).
 */

/** Name of the fused BatchNormalization-training kernel (registered for the wasm backend only). */
export const BATCH_NORM_TRAINING = 'ShrinkrayBatchNormTraining';

/** Name of its gradient kernel. */
export const BATCH_NORM_TRAINING_GRAD = 'ShrinkrayBatchNormTrainingGrad';

/**
 * Two per-channel sums over all rows in one pass: `pass(rowOffsetBytes, rows, outA, outB)` adds a
 * block's float32 sums into the two scratch rows of `scratch` ([2, c], zeroed per block here), totals
 * in float64.
 */
function blockedSums(scratch: Float32Array, rows: number, c: number, pass: (at: number, n: number, outA: number, outB: number) => void): [Float64Array, Float64Array] {
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  for (let r = 0; r < rows; r += BLOCK_ROWS) {
    const n = Math.min(BLOCK_ROWS, rows - r);
    scratch.fill(0);
    pass(r * c * 4, n, scratch.byteOffset, scratch.byteOffset + c * 4);
    for (let j = 0; j < c; j++) {
      a[j]! += scratch[j]!;
      b[j]! += scratch[c + j]!;
    }
  }
  return [a, b];
}

function needSimd(backend: WasmBackendLike, name: string): SimdKernels {
  const simd = simdKernels(backend);
  if (!simd) throw new Error(`${name} needs the SIMD module`);
  return simd;
}

/**
 * Inputs `x` ([..., c], c a multiple of 4), `scale`, `offset` ([c]), float32; attr `varianceEpsilon`.
 * Outputs `y = (x − mean)·scale/√(variance + ε) + offset`, the batch `mean` and the (biased) batch
 * `variance` over all axes but the last, as `tf.moments` + `tf.batchNorm` give them.
 */
export const batchNormTrainingKernel: KernelFunc = (args) => {
  const backend = args.backend as WasmBackendLike;
  const { x, scale, offset } = args.inputs as Record<'x' | 'scale' | 'offset', tf.TensorInfo>;
  const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
  const simd = needSimd(backend, BATCH_NORM_TRAINING);
  const c = x.shape[x.shape.length - 1]!;
  const rows = sizeOf(x.shape) / c;
  const out = backend.makeOutput([...x.shape], 'float32');
  const mean = backend.makeOutput([c], 'float32');
  const variance = backend.makeOutput([c], 'float32');
  // Scratch of the block sums, then a (scale/√(var + ε)) and offset per channel for the normalisation pass.
  const factors = backend.makeOutput([2, c], 'float32');
  // Views after the last allocation (growing the heap detaches earlier ones).
  const [yV, meanV, varV, f, xV, scaleV, offsetV] = [out, mean, variance, factors, x, scale, offset].map((t) => heapF32(backend, t)) as Float32Array[];
  // Mean and variance in one pass over x, as sums of d = x − shift and d² with the shift the mean of
  // the first block of rows (close to the batch mean, so Σd²/N − (Σd/N)² does not cancel).
  const head = Math.min(BLOCK_ROWS, rows);
  f!.fill(0);
  simd.columnSum(xV!.byteOffset, f!.byteOffset, head, c);
  for (let j = 0; j < c; j++) meanV![j] = f![j]! / head;
  const [sums, squares] = blockedSums(f!, rows, c, (at, n, a, b) => simd.columnMoments(xV!.byteOffset + at, meanV!.byteOffset, a, b, n, c));
  for (let j = 0; j < c; j++) {
    const shifted = sums[j]! / rows;
    const v = Math.max(squares[j]! / rows - shifted * shifted, 0);
    meanV![j] = meanV![j]! + shifted;
    varV![j] = v;
    f![j] = scaleV![j]! / Math.sqrt(v + varianceEpsilon);
    f![c + j] = offsetV![j]!;
  }
  simd.centredAffine(xV!.byteOffset, meanV!.byteOffset, f!.byteOffset, f!.byteOffset + c * 4, yV!.byteOffset, yV!.length, c);
  backend.disposeData(factors.dataId);
  return [out, mean, variance];
};

/**
 * Inputs `dy`, `x` ([..., c]), `mean`, `variance`, `scale` ([c]) and the gradients of the mean and
 * variance outputs `dMean`, `dVariance` ([c]); attr `varianceEpsilon`. Outputs the gradients of x,
 * scale and offset.
 */
export const batchNormTrainingGradKernel: KernelFunc = (args) => {
  const backend = args.backend as WasmBackendLike;
  const { dy, x, mean, variance, scale, dMean, dVariance } = args.inputs as Record<'dy' | 'x' | 'mean' | 'variance' | 'scale' | 'dMean' | 'dVariance', tf.TensorInfo>;
  const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
  const simd = needSimd(backend, BATCH_NORM_TRAINING_GRAD);
  const c = mean.shape[0]!;
  const rows = sizeOf(x.shape) / c;
  const dx = backend.makeOutput([...x.shape], 'float32');
  const dScale = backend.makeOutput([c], 'float32');
  const dOffset = backend.makeOutput([c], 'float32');
  // a, b, k of dx = dy·a + (x − mean)·b + k.
  const factors = backend.makeOutput([3, c], 'float32');
  const [dxV, dScaleV, dOffsetV, f, dyV, xV, meanV, varV, scaleV, dMeanV, dVarV] = [dx, dScale, dOffset, factors, dy, x, mean, variance, scale, dMean, dVariance].map((t) =>
    heapF32(backend, t),
  ) as Float32Array[];
  // Σdy and Σdy·(x − mean) in one pass (the factors' first two rows as block scratch).
  const [sumDy, sumDyXc] = blockedSums(f!, rows, c, (at, n, a, b) => simd.columnSumAndCentredProduct(dyV!.byteOffset + at, xV!.byteOffset + at, meanV!.byteOffset, a, b, n, c));
  for (let j = 0; j < c; j++) {
    const r = 1 / Math.sqrt(varV![j]! + varianceEpsilon);
    const s = scaleV![j]!;
    // y depends on x directly and through the mean (∂mean/∂x = 1/N) and the variance (∂var/∂x = 2(x − mean)/N).
    const meanGrad = -r * s * sumDy[j]! + dMeanV![j]!;
    const varianceGrad = -0.5 * r * r * r * s * sumDyXc[j]! + dVarV![j]!;
    f![j] = r * s;
    f![c + j] = (2 * varianceGrad) / rows;
    f![2 * c + j] = meanGrad / rows;
    dScaleV![j] = r * sumDyXc[j]!;
    dOffsetV![j] = sumDy[j]!;
  }
  simd.centredAffine2(dyV!.byteOffset, xV!.byteOffset, meanV!.byteOffset, f!.byteOffset, f!.byteOffset + c * 4, f!.byteOffset + 2 * c * 4, dxV!.byteOffset, dxV!.length, c);
  backend.disposeData(factors.dataId);
  return [dx, dScale, dOffset];
};

/** The gradient of {@link BATCH_NORM_TRAINING} (registered in tfjs' gradient registry). */
export const batchNormTrainingGradient: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAINING,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, scale, mean, variance] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    // The engine passes zeros for outputs outside the backward path (the statistics feed only the moving averages).
    const [dy, dMean, dVariance] = dys as tf.Tensor[];
    const inputs: tf.NamedTensorMap = { dy: dy!, x, mean, variance, scale, dMean: dMean!, dVariance: dVariance! };
    const [dx, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD, inputs, { varianceEpsilon: (attrs as { varianceEpsilon: number }).varianceEpsilon }) as unknown as tf.Tensor[];
    return { x: () => dx!, scale: () => dScale!, offset: () => dOffset! };
  },
};

/**
 * True when `x` can run as {@link BATCH_NORM_TRAINING} on the active backend: wasm with the kernel
 * registered and the SIMD module, float32, rank 2 to 4, channels (the last axis) a multiple of 4.
 */
export function batchNormTrainingFusable(x: tf.Tensor): boolean {
  const c = x.shape[x.rank - 1]!;
  return (
    tf.getBackend() === WASM &&
    tf.getKernel(BATCH_NORM_TRAINING, WASM) !== undefined &&
    x.dtype === 'float32' &&
    // ranks tfjs-layers' own BatchNormalization accepts (it throws above 4)
    x.rank >= 2 &&
    x.rank <= 4 &&
    c % 4 === 0 &&
    x.size > c &&
    simdKernels(tf.backend() as unknown as WasmBackendLike) !== null
  );
}

/**
 * Batch statistics and normalisation of `x` over every axis but the last, in one op: `[y, mean, variance]`
 * as `tf.moments(x, axes)` and `tf.batchNorm(x, mean, variance, offset, scale, ε)` give them, with one
 * fused gradient. Call only when {@link batchNormTrainingFusable}.
 */
export function batchNormTraining(x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, varianceEpsilon: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(BATCH_NORM_TRAINING, { x, scale, offset }, { varianceEpsilon }) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
