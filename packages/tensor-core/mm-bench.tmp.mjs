import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { applyWasmTrainingKernels, removeWasmTrainingKernels, kernelUsage } from '/work/wt/i16/packages/tensor-core/dist/index.js';
await tf.setBackend('wasm'); await tf.ready();
const shapes = [[128,512,10,false,true],[128,784,512,false,false],[128,512,512,false,true],[512,128,512,true,false],[64,64,64,false,false],[32,64,64,false,false],[128,64,64,false,false], [128,1568,64,false,false],[128,64,1568,false,true]];
function time(fn, n) { fn(); const t0 = performance.now(); for (let i = 0; i < n; i++) fn(); return (performance.now() - t0) / n; }
for (const [m,k,n,ta,tb] of shapes) {
  const a = tf.randomNormal(ta ? [k,m] : [m,k]); const b = tf.randomNormal(tb ? [n,k] : [k,n]);
  const f = () => { const c = tf.matMul(a, b, ta, tb); c.dataSync(); c.dispose(); };
  applyWasmTrainingKernels(); const ort = time(f, 30);
  process.env.SHRINKRAY_ORT_KERNELS = 'off'; removeWasmTrainingKernels(); applyWasmTrainingKernels(); const wasm = time(f, 30);
  delete process.env.SHRINKRAY_ORT_KERNELS; removeWasmTrainingKernels();
  console.log(`${m}x${k}x${n} ${ta?'tA':''}${tb?'tB':''}: ort ${ort.toFixed(3)} ms (${(2*m*k*n/ort/1e6).toFixed(1)} GF/s), wasm ${wasm.toFixed(3)} ms (${(2*m*k*n/wasm/1e6).toFixed(1)} GF/s)`);
}
console.log(JSON.stringify(kernelUsage()));
