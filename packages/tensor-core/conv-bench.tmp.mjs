import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { applyWasmTrainingKernels, removeWasmTrainingKernels } from '/work/wt/i16/packages/tensor-core/dist/index.js';
await tf.setBackend('wasm'); await tf.ready();
function time(fn, n) { fn(); const t0 = performance.now(); for (let i = 0; i < n; i++) fn(); return (performance.now() - t0) / n; }
const cases = [
  ['Conv2D', {x:[128,28,28,1], filter:[3,3,1,16]}, {strides:1,pad:'same',dataFormat:'NHWC',dilations:1}],
  ['Conv2D', {x:[128,14,14,16], filter:[3,3,16,32]}, {strides:1,pad:'same',dataFormat:'NHWC',dilations:1}],
  ['Conv2DBackpropFilter', {x:[128,28,28,1], dy:[128,28,28,16]}, {strides:1,pad:'same',dataFormat:'NHWC',filterShape:[3,3,1,16]}],
  ['Conv2DBackpropFilter', {x:[128,14,14,16], dy:[128,14,14,32]}, {strides:1,pad:'same',dataFormat:'NHWC',filterShape:[3,3,16,32]}],
  ['Conv2DBackpropInput', {dy:[128,14,14,32], filter:[3,3,16,32]}, {strides:1,pad:'same',dataFormat:'NHWC',inputShape:[128,14,14,16]}],
  ['Conv2D', {x:[128,8,8,32], filter:[3,3,32,32]}, {strides:1,pad:'same',dataFormat:'NHWC',dilations:1}],
  ['Conv2DBackpropFilter', {x:[128,8,8,32], dy:[128,8,8,32]}, {strides:1,pad:'same',dataFormat:'NHWC',filterShape:[3,3,32,32]}],
  ['Conv2DBackpropInput', {dy:[128,8,8,32], filter:[3,3,32,32]}, {strides:1,pad:'same',dataFormat:'NHWC',inputShape:[128,8,8,32]}],
  ['Conv2D', {x:[16,8,8,16], filter:[3,3,16,16]}, {strides:1,pad:'same',dataFormat:'NHWC',dilations:1}],
  ['Conv2DBackpropFilter', {x:[16,8,8,16], dy:[16,8,8,16]}, {strides:1,pad:'same',dataFormat:'NHWC',filterShape:[3,3,16,16]}],
];
for (const [name, shapes, attrs] of cases) {
  const inputs = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, tf.randomNormal(s)]));
  const f = () => { const c = tf.engine().runKernel(name, inputs, attrs); c.dispose(); };
  const res = [];
  for (let rep = 0; rep < 3; rep++) {
    applyWasmTrainingKernels(); const ort = time(f, 5);
    process.env.SHRINKRAY_ORT_KERNELS = 'off'; removeWasmTrainingKernels(); applyWasmTrainingKernels(); const wasm = time(f, 5);
    delete process.env.SHRINKRAY_ORT_KERNELS; removeWasmTrainingKernels();
    res.push(wasm / ort);
  }
  console.log(name, JSON.stringify(shapes), 'wasm/ort time ratios', res.map((r) => r.toFixed(2)).join(' '));
}
