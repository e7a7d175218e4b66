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
 * - `Sum` over leading axes (bias gradients): summed in place instead of after a full transpose.
 * - `Transpose`: (batched) 2-D permutations as a cache-blocked copy (stock: 5-50 ns per element).
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchMatMulKernel, makeConv2DBackpropFilter, makeConv2DBackpropInput } from './conv2d-backprop.js';
import { makeDepthwiseBackpropFilter, makeDepthwiseBackpropInput } from './depthwise-backprop.js';
import { makeBatchMatMul, makeFusedMatMul } from './matmul.js';
import { makeMaxPoolGrad } from './pooling.js';
import { makeSum } from './reduce.js';
import { makeTranspose } from './transpose.js';
import { type KernelFunc, WASM } from './wasm-backend.js';

/** Environment variable that disables the kernel fixes when set to `off` (or `0`, `false`). */
export const WASM_KERNELS_ENV = 'SHRINKRAY_WASM_KERNELS';

/** What {@link applyWasmTrainingKernels} did. */
export interface WasmKernelPatchState {
  /** Kernel names now replaced or added. Empty when disabled or the wasm backend is not loaded. */
  readonly kernels: readonly string[];
  /** Why nothing was patched, when nothing was. */
  readonly reason?: string;
}

/** Original configs (undefined: the kernel did not exist) of the kernels patched, for removal. */
let originals: Map<string, tf.KernelConfig | undefined> | undefined;

function disabledByEnv(): boolean {
  const value = process.env[WASM_KERNELS_ENV]?.trim().toLowerCase();
  return value === 'off' || value === '0' || value === 'false';
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
  if (originals) return { kernels: [...originals.keys()] };
  if (disabledByEnv()) return { kernels: [], reason: `${WASM_KERNELS_ENV}=${process.env[WASM_KERNELS_ENV]}` };
  if (tf.getKernel(tf.BatchMatMul, WASM) === undefined || tf.getKernel(tf.Transpose, WASM) === undefined) {
    return { kernels: [], reason: 'the wasm backend has not registered its kernels' };
  }
  const saved = new Map<string, tf.KernelConfig | undefined>();
  replace(tf.BatchMatMul, (o) => makeBatchMatMul(required(tf.BatchMatMul, o)), saved);
  replace(tf._FusedMatMul, (o) => makeFusedMatMul(required(tf._FusedMatMul, o)), saved);
  replace(tf.Conv2DBackpropFilter, () => makeConv2DBackpropFilter(batchMatMulKernel), saved);
  replace(tf.Conv2DBackpropInput, (o) => makeConv2DBackpropInput(required(tf.Conv2DBackpropInput, o), batchMatMulKernel), saved);
  replace(tf.DepthwiseConv2dNativeBackpropFilter, () => makeDepthwiseBackpropFilter(), saved);
  replace(tf.DepthwiseConv2dNativeBackpropInput, () => makeDepthwiseBackpropInput(), saved);
  replace(tf.MaxPoolGrad, (o) => makeMaxPoolGrad(required(tf.MaxPoolGrad, o)), saved);
  replace(tf.Sum, (o) => makeSum(required(tf.Sum, o)), saved);
  replace(tf.Transpose, (o) => makeTranspose(required(tf.Transpose, o)), saved);
  originals = saved;
  return { kernels: [...saved.keys()] };
}

/** Restores the stock wasm kernels replaced by {@link applyWasmTrainingKernels}. */
export function removeWasmTrainingKernels(): void {
  if (!originals) return;
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, WASM);
    if (original !== undefined) tf.registerKernel(original);
  }
  originals = undefined;
}

/** Names of the wasm kernels currently replaced (empty when the stock kernels are in place). */
export function wasmTrainingKernels(): readonly string[] {
  return originals ? [...originals.keys()] : [];
}
