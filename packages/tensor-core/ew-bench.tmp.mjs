import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { applyWasmTrainingKernels, removeWasmTrainingKernels, kernelUsage } from '/work/wt/i16/packages/tensor-core/dist/index.js';
await tf.setBackend('wasm'); await tf.ready();
function time(fn, n) { fn(); const t0 = performance.now(); for (let i = 0; i < n; i++) fn(); return (performance.now() - t0) / n; }
const big = tf.randomNormal([128,28,28,16]); const ch = tf.randomNormal([16]);
const junk = tf.randomNormal([64*1024*1024/4]); // grow the heap
const cases = { mulBroadcast: () => tf.mul(big, ch), mulSame: () => tf.mul(big, big), sum: () => tf.sum(big, [0,1,2]), mean: () => tf.mean(big, [0,1,2]), tile: () => tf.tile(tf.reshape(ch, [1,1,1,16]), [128,28,28,1]) };
for (const [name, f0] of Object.entries(cases)) {
  const f = () => { const c = f0(); c.dispose(); };
  applyWasmTrainingKernels(); const ort = time(f, 10);
  process.env.SHRINKRAY_ORT_KERNELS = 'off'; removeWasmTrainingKernels(); applyWasmTrainingKernels(); const wasm = time(f, 10);
  delete process.env.SHRINKRAY_ORT_KERNELS; removeWasmTrainingKernels();
  console.log(name, 'ort', ort.toFixed(2), 'wasm', wasm.toFixed(2));
}
console.log(JSON.stringify(kernelUsage()));
