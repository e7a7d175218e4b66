import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { applyWasmTrainingKernels } from '/work/wt/i16/packages/tensor-core/dist/index.js';
await tf.setBackend('wasm'); await tf.ready(); applyWasmTrainingKernels();
function time(fn, n) { fn(); const t0 = performance.now(); for (let i = 0; i < n; i++) fn(); return (performance.now() - t0) / n; }
const cases = [
  ['Conv2DBackpropFilter', {x:[128,28,28,16], dy:[128,28,28,16]}, {strides:1,pad:'same',dataFormat:'NHWC',filterShape:[3,3,16,16]}],
  ['Conv2DBackpropFilter', {x:[128,28,28,1], dy:[128,28,28,16]}, {strides:1,pad:'same',dataFormat:'NHWC',filterShape:[3,3,1,16]}],
  ['Conv2DBackpropFilter', {x:[128,14,14,32], dy:[128,14,14,32]}, {strides:1,pad:'same',dataFormat:'NHWC',filterShape:[3,3,32,32]}],
  ['Conv2DBackpropFilter', {x:[128,7,7,64], dy:[128,7,7,64]}, {strides:1,pad:'same',dataFormat:'NHWC',filterShape:[3,3,64,64]}],
  ['Conv2DBackpropInput', {dy:[128,28,28,16], filter:[3,3,16,16]}, {strides:1,pad:'same',dataFormat:'NHWC',inputShape:[128,28,28,16]}],
  ['Conv2DBackpropInput', {dy:[128,7,7,64], filter:[3,3,64,64]}, {strides:1,pad:'same',dataFormat:'NHWC',inputShape:[128,7,7,64]}],
  ['Conv2D', {x:[128,28,28,16], filter:[3,3,16,16]}, {strides:1,pad:'same',dataFormat:'NHWC',dilations:1}],
];
for (const [name, shapes, attrs] of cases) {
  const inputs = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, tf.randomNormal(s)]));
  const f = () => { const c = tf.engine().runKernel(name, inputs, attrs); c.dispose(); };
  const r = []; for (let i = 0; i < 3; i++) r.push(time(f, 4).toFixed(1));
  console.log(name, JSON.stringify(shapes), r.join(' '));
}
