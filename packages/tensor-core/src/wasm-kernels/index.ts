/**
 * Kernel fixes for the wasm backend's training path (see issue "Training speed"). Applied once, only
 * when the wasm backend is chosen; `SHRINKRAY_WASM_KERNELS=off` leaves the stock kernels in place
 * (for comparisons), and {@link removeWasmTrainingKernels} restores them.
 *
 * - `BatchMatMul`, `_FusedMatMul`: transposed operands are transposed explicitly and multiplied on the
 *   XNNPACK path; batched products are split into single-batch ones (stock: a naive loop, 10-20x slower).
 * - `Conv2DBackpropFilter`: missing in tfjs-backend-wasm 4.22 (Conv2D training threw); im2col + fast matmul.
 * - `Conv2DBackpropInput`: the stock direct loop replaced by a flipped-filter Conv2D (stride 1) or
 *   fast matmul + col2im.
 * - `DepthwiseConv2dNativeBackpropFilter`, `DepthwiseConv2dNativeBackpropInput`: missing in
 *   tfjs-backend-wasm 4.22 (DepthwiseConv2D training threw); direct loops.
 * - `MaxPoolGrad`: argmax once per window + scatter, instead of re-scanning windows per input pixel.
 * - `Sum`/`Mean` over leading axes (bias gradients, BatchNormalization statistics): summed in place
 *   (128-bit SIMD, `simd.ts`) instead of after a full transpose.
 * - `Transpose`: (batched) 2-D permutations as a cache-blocked copy (stock: 5-50 ns per element).
 * - `Identity`, and `Cast` to the same dtype: share their input's data (reference counted) instead of copying it.
 * - `Add`/`Sub`/`Multiply`/`RealDiv` of an activation and a per-channel vector: one SIMD pass, no index arithmetic.
 * - `Tile` of a per-channel vector over leading axes: a repeated copy.
 * - Mean's gradient over leading axes (batch statistics): dy/count tiled once instead of Fill, Multiply and RealDiv over the activation.
 * - ReLU's gradient: one kernel (`ShrinkrayReluGrad`, one SIMD pass) instead of Step, Cast and Multiply.
 * - FusedBatchNorm with per-channel statistics: two SIMD passes (`y = x·a + b`) instead of a scalar loop.
 * - FusedBatchNorm's gradient with per-channel statistics: one kernel (`ShrinkrayBatchNormGrad`, three
 *   SIMD passes) instead of ~20.
 * - (with the ORT set) tfjs-layers' BatchNormalization in training mode (channels last, a multiple of 4):
 *   batch statistics and normalisation as one op (`ShrinkrayBatchNormTraining`, two SIMD passes) whose
 *   gradient is one kernel (two passes) instead of tf.moments + FusedBatchNorm and their ~15 gradient
 *   kernels (the layer class's `call` is routed while the fixes are applied; `batch-norm-layer.ts`).
 *
 * When the optional peer `onnxruntime-node` loads, the heavy kernels (matrix products, convolutions and
 * their gradients) and the memory-bound ones of BatchNormalization gradients (Tile, Sum, Mean) run
 * in ONNX Runtime instead, above sizes where that is measured to pay off
 * (see `ort/`). `FusedAdamOptimizer`, `FusedAdamWOptimizer` and `FusedMomentumOptimizer` update all
 * variables in one kernel call (`ShrinkrayFusedAdam`, `ShrinkrayFusedMomentum`; no ORT involved, so
 * also without onnxruntime-node), and tfjs-layers' BatchNormalization trains as one op (below);
 * `SHRINKRAY_ORT_KERNELS=off` keeps the ORT kernels, the fused optimizer updates and the fused
 * BatchNormalization off (the wasm-side fixes above stay).
 */
import * as tf from '@tensorflow/tfjs-core';
import { CHANNEL_BINARY_KERNELS, makeChannelBinary } from './broadcast.js';
import { batchMatMulKernel, makeConv2DBackpropFilter, makeConv2DBackpropInput } from './conv2d-backprop.js';
import { makeDepthwiseBackpropFilter, makeDepthwiseBackpropInput } from './depthwise-backprop.js';
import { makeBatchMatMul, makeFusedMatMul } from './matmul.js';
import { FUSED_ADAM, fusedAdamKernel } from './fused-adam.js';
import { FUSED_MOMENTUM, fusedMomentumKernel } from './fused-momentum.js';
import { makeCast, makeIdentity } from './identity.js';
import { ortConvKernels } from './ort/conv.js';
import { ORT_ELEMENTWISE_MIN, ortElementwiseKernels } from './ort/elementwise.js';
import { ortBatchMatMul, ortFusedMatMul } from './ort/matmul.js';
import { loadOrt, ortUnavailableReason } from './ort/native.js';
import { makeMaxPoolGrad } from './pooling.js';
import { makeMeanGradient } from './mean-grad.js';
import { makeLeadingReduce, makeSum } from './reduce.js';
import { makeBatchNorm } from './batch-norm.js';
import { BATCH_NORM_GRAD, batchNormGradKernel, makeBatchNormGradient } from './batch-norm-grad.js';
import { patchBatchNormalizationLayer, unpatchBatchNormalizationLayer } from './batch-norm-layer.js';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, batchNormTrainingGradient, batchNormTrainingGradKernel, batchNormTrainingKernel } from './batch-norm-training.js';
import { makeReluGradient, RELU_GRAD, reluGradKernel } from './relu-grad.js';
import { makeTile } from './tile.js';
import { makeTranspose } from './transpose.js';
import { type KernelFunc, WASM } from './wasm-backend.js';

/** Environment variable that disables the kernel fixes when set to `off` (or `0`, `false`). */
export const WASM_KERNELS_ENV = 'SHRINKRAY_WASM_KERNELS';

/** Environment variable that keeps the heavy kernels on wasm (no ONNX Runtime) when set to `off`. */
export const ORT_KERNELS_ENV = 'SHRINKRAY_ORT_KERNELS';

/** What {@link applyWasmTrainingKernels} did. */
export interface WasmKernelPatchState {
  /** Kernel names now replaced or added. Empty when disabled or the wasm backend is not loaded. */
  readonly kernels: readonly string[];
  /** Of those, the kernels that run in ONNX Runtime (above their size thresholds). */
  readonly ortKernels: readonly string[];
  /** onnxruntime-node's version and threads when ORT kernels are in use. */
  readonly ort?: { readonly version: string; readonly threads: number };
  /** Why no ORT kernels are in use, when none are. */
  readonly ortReason?: string;
  /** Why nothing was patched, when nothing was. */
  readonly reason?: string;
}

/** Original configs (undefined: the kernel did not exist) of the kernels patched, for removal. */
let originals: Map<string, tf.KernelConfig | undefined> | undefined;
/** tfjs' gradients replaced (ReLU, FusedBatchNorm) while the kernels are applied. */
let originalGradients: tf.GradConfig[] = [];
let applied: WasmKernelPatchState | undefined;

function envOff(name: string): boolean {
  const value = process.env[name]?.trim().toLowerCase();
  return value === 'off' || value === '0' || value === 'false';
}

function disabledByEnv(): boolean {
  return envOff(WASM_KERNELS_ENV);
}

function replace(name: string, make: (original: KernelFunc | undefined) => KernelFunc, saved: Map<string, tf.KernelConfig | undefined>): void {
  const original = tf.getKernel(name, WASM);
  saved.set(name, original);
  if (original !== undefined) tf.unregisterKernel(name, WASM);
  const config: tf.KernelConfig = { kernelName: name, backendName: WASM, kernelFunc: make(original?.kernelFunc) };
  // Keep the original set-up (it binds the wasm functions) so a re-initialised backend still works.
  if (original?.setupFunc) config.setupFunc = original.setupFunc;
  if (original?.disposeFunc) config.disposeFunc = original.disposeFunc;
  tf.registerKernel(config);
}

/** Stands in for a kernel tfjs-backend-wasm lacks: reached only when ORT declines the call. */
function missing(name: string): KernelFunc {
  return (args) => {
    const shapes = Object.values(args.inputs).map((t) => JSON.stringify(t?.shape));
    throw new Error(`wasm kernel '${name}' is missing and ONNX Runtime cannot run this call (inputs ${shapes.join(', ')}, attrs ${JSON.stringify(args.attrs)})`);
  };
}

function required(name: string, f: KernelFunc | undefined): KernelFunc {
  if (f === undefined) throw new Error(`wasm kernel '${name}' is missing`);
  return f;
}

/**
 * Replaces the slow wasm training kernels with fast formulations. Idempotent; a no-op when
 * `SHRINKRAY_WASM_KERNELS=off` or when `@tensorflow/tfjs-backend-wasm` has not registered its kernels.
 * Results match the stock kernels within float32 rounding.
 */
export function applyWasmTrainingKernels(): WasmKernelPatchState {
  if (originals && applied) return applied;
  if (disabledByEnv()) return { kernels: [], ortKernels: [], reason: `${WASM_KERNELS_ENV}=${process.env[WASM_KERNELS_ENV]}` };
  if (tf.getKernel(tf.BatchMatMul, WASM) === undefined || tf.getKernel(tf.Transpose, WASM) === undefined) {
    return { kernels: [], ortKernels: [], reason: 'the wasm backend has not registered its kernels' };
  }
  const ort = envOff(ORT_KERNELS_ENV) ? null : loadOrt();
  const ortReason = ort ? undefined : envOff(ORT_KERNELS_ENV) ? `${ORT_KERNELS_ENV}=${process.env[ORT_KERNELS_ENV]}` : (ortUnavailableReason() ?? 'onnxruntime-node did not load');
  const ortKernels: string[] = [];
  const viaOrt = (name: string, wrap: (f: KernelFunc) => KernelFunc, f: KernelFunc): KernelFunc => {
    if (!ort) return f;
    ortKernels.push(name);
    return wrap(f);
  };
  const saved = new Map<string, tf.KernelConfig | undefined>();
  replace(tf.BatchMatMul, (o) => viaOrt(tf.BatchMatMul, ortBatchMatMul, makeBatchMatMul(required(tf.BatchMatMul, o))), saved);
  replace(tf._FusedMatMul, (o) => viaOrt(tf._FusedMatMul, ortFusedMatMul, makeFusedMatMul(required(tf._FusedMatMul, o))), saved);
  const conv = (name: string, f: KernelFunc | undefined): KernelFunc => viaOrt(name, (w) => ortConvKernels[name]!(w, f === undefined), f ?? missing(name));
  replace(tf.Conv2DBackpropFilter, () => conv(tf.Conv2DBackpropFilter, makeConv2DBackpropFilter(batchMatMulKernel)), saved);
  replace(tf.Conv2DBackpropInput, (o) => conv(tf.Conv2DBackpropInput, makeConv2DBackpropInput(required(tf.Conv2DBackpropInput, o), batchMatMulKernel)), saved);
  if (ort) {
    for (const name of [tf.Conv2D, tf.FusedConv2D, tf.DepthwiseConv2dNative, tf.FusedDepthwiseConv2D]) replace(name, (o) => conv(name, required(name, o)), saved);
  }
  // Missing from tfjs-backend-wasm 4.22: direct wasm-side loops, in ORT above its size threshold.
  replace(tf.DepthwiseConv2dNativeBackpropFilter, () => conv(tf.DepthwiseConv2dNativeBackpropFilter, makeDepthwiseBackpropFilter()), saved);
  replace(tf.DepthwiseConv2dNativeBackpropInput, () => conv(tf.DepthwiseConv2dNativeBackpropInput, makeDepthwiseBackpropInput()), saved);
  replace(tf.MaxPoolGrad, (o) => makeMaxPoolGrad(required(tf.MaxPoolGrad, o)), saved);
  // Leading-axes Sum/Mean (bias gradients, batch statistics): SIMD column sums on wasm; the rest in ORT above its threshold.
  const reduceAbove = ort ? ORT_ELEMENTWISE_MIN : undefined;
  replace(tf.Sum, (o) => makeSum(viaOrt(tf.Sum, ortElementwiseKernels[tf.Sum]!, required(tf.Sum, o)), reduceAbove), saved);
  replace(tf.Mean, (o) => makeLeadingReduce('Mean', viaOrt(tf.Mean, ortElementwiseKernels[tf.Mean]!, required(tf.Mean, o)), reduceAbove), saved);
  replace(tf.Transpose, (o) => makeTranspose(required(tf.Transpose, o)), saved);
  replace(tf.Identity, (o) => makeIdentity(required(tf.Identity, o)), saved);
  replace(tf.Cast, (o) => makeCast(required(tf.Cast, o)), saved);
  for (const name of CHANNEL_BINARY_KERNELS) replace(name, (o) => makeChannelBinary(name, required(name, o)), saved);
  // Tile of per-channel vectors (BatchNormalization gradients) as a repeated copy; other tilings in ORT above its threshold.
  replace(tf.Tile, (o) => makeTile(viaOrt(tf.Tile, ortElementwiseKernels[tf.Tile]!, required(tf.Tile, o))), saved);
  replace(RELU_GRAD, () => reluGradKernel, saved);
  replace(tf.FusedBatchNorm, (o) => makeBatchNorm(required(tf.FusedBatchNorm, o)), saved);
  replace(BATCH_NORM_GRAD, () => batchNormGradKernel, saved);
  originalGradients = [];
  for (const [name, make] of [
    [tf.Relu, makeReluGradient],
    [tf.FusedBatchNorm, makeBatchNormGradient],
    [tf.Mean, makeMeanGradient],
  ] as const) {
    const gradient = tf.getGradient(name);
    if (!gradient) continue;
    originalGradients.push(gradient);
    tf.registerGradient(make(gradient));
  }
  if (!envOff(ORT_KERNELS_ENV)) {
    // Part of the native-speed set (SHRINKRAY_ORT_KERNELS=off then measures the previous wasm path), but
    // no ORT involved: they stay when onnxruntime-node is absent. Also BatchNormalization's training mode as one op.
    replace(FUSED_ADAM, () => fusedAdamKernel, saved);
    replace(FUSED_MOMENTUM, () => fusedMomentumKernel, saved);
    replace(BATCH_NORM_TRAINING, () => batchNormTrainingKernel, saved);
    replace(BATCH_NORM_TRAINING_GRAD, () => batchNormTrainingGradKernel, saved);
    // Our own op: its gradient stays registered (the kernel is unregistered on removal, and the layer falls back).
    if (!tf.getGradient(BATCH_NORM_TRAINING)) tf.registerGradient(batchNormTrainingGradient);
    patchBatchNormalizationLayer();
  }
  originals = saved;
  applied = {
    kernels: [...saved.keys()],
    ortKernels,
    ...(ort ? { ort: { version: ort.version, threads: ort.threads } } : {}),
    ...(ortReason !== undefined ? { ortReason } : {}),
  };
  return applied;
}

/** Restores the stock wasm kernels replaced by {@link applyWasmTrainingKernels}. */
export function removeWasmTrainingKernels(): void {
  if (!originals) return;
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, WASM);
    if (original !== undefined) tf.registerKernel(original);
  }
  for (const gradient of originalGradients) tf.registerGradient(gradient);
  originalGradients = [];
  unpatchBatchNormalizationLayer();
  originals = undefined;
  applied = undefined;
}

/** Names of the wasm kernels currently replaced (empty when the stock kernels are in place). */
export function wasmTrainingKernels(): readonly string[] {
  return originals ? [...originals.keys()] : [];
}
