import * as tf from '@tensorflow/tfjs-core';
import { simdKernels } from './simd.js';
import { heapF32, type KernelFunc, type WasmBackendLike, WASM } from './wasm-backend.js';

/*
 * tfjs differentiates ReLU as `dy * cast(step(x))`: three kernels, three passes over the activation and
 * two temporary buffers per ReLU layer per step. On the wasm backend this gradient is one kernel, one
 * (SIMD) pass: `dx = x > 0 ? dy : 0`. The gradient is registered globally in tfjs, so the replacement
 * defers to tfjs' own gradient on every other backend.
 */

/** Name of the fused ReLU-gradient kernel (registered for the wasm backend only). */
export const RELU_GRAD = 'ShrinkrayReluGrad';

/** Inputs `dy`, `x` (same shape, float32); output `x > 0 ? dy : 0`. */
export const reluGradKernel: KernelFunc = (args) => {
  const backend = args.backend as WasmBackendLike;
  const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const out = backend.makeOutput([...x.shape], 'float32');
  const g = heapF32(backend, dy);
  const v = heapF32(backend, x);
  const y = heapF32(backend, out);
  const simd = simdKernels(backend);
  const lanes = simd ? v.length - (v.length % 4) : 0;
  if (simd && lanes > 0) simd.reluGrad(g.byteOffset, v.byteOffset, y.byteOffset, lanes);
  for (let i = lanes; i < v.length; i++) y[i] = v[i]! > 0 ? g[i]! : 0;
  return out;
};

/** The ReLU gradient config with the one-kernel path on wasm; `original` elsewhere. */
export function makeReluGradient(original: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0];
      const grad = Array.isArray(dy) ? undefined : dy;
      if (grad && x && grad.dtype === 'float32' && x.dtype === 'float32' && tf.getBackend() === WASM && tf.getKernel(RELU_GRAD, WASM) !== undefined) {
        return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: grad, x }, {}) as tf.Tensor };
      }
      return original.gradFunc(dy, saved, attrs);
    },
  };
}
