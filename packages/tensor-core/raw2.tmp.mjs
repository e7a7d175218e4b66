import { loadOrt } from '/work/wt/i16/packages/tensor-core/dist/wasm-kernels/ort/native.js';
import { encodeModel } from '/work/wt/i16/packages/tensor-core/dist/wasm-kernels/ort/onnx-graph.js';
const ort = loadOrt();
const n = 128*28*28*16;
const relu = ort.createSession(encodeModel({ nodes: [{ op: 'Relu', inputs: ['X'], outputs: ['Y'] }], inputs: [{ name: 'X', shape: [n] }], outputs: [{ name: 'Y', shape: [n] }] }));
const red = ort.createSession(encodeModel({ nodes: [{ op: 'ReduceSum', inputs: ['X', 'axes'], outputs: ['Y'], attributes: { keepdims: 0 } }], inputs: [{ name: 'X', shape: [n/16, 16] }], outputs: [{ name: 'Y', shape: [16] }], constants: [{ name: 'axes', shape: [1], values: [0], int64: true }] }));
const x2 = new Float32Array(n), y2 = new Float32Array(n), y3 = new Float32Array(16);
function time(fn, k) { fn(); const t0 = performance.now(); for (let i = 0; i < k; i++) fn(); return (performance.now() - t0) / k; }
for (let r = 0; r < 4; r++) {
console.log('relu', time(() => relu.run({ X: ort.tensor(x2, [n]) }, { Y: ort.tensor(y2, [n]) }, {}), 20).toFixed(2),
  'reduce', time(() => red.run({ X: ort.tensor(x2, [n/16, 16]) }, { Y: ort.tensor(y3, [16]) }, {}), 20).toFixed(2),
  'js copy', time(() => y2.set(x2), 20).toFixed(2));
}
