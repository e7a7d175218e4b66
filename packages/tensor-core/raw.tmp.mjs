import { loadOrt } from '/work/wt/i16/packages/tensor-core/dist/wasm-kernels/ort/native.js';
import { encodeModel } from '/work/wt/i16/packages/tensor-core/dist/wasm-kernels/ort/onnx-graph.js';
const ort = loadOrt();
const n = 128*28*28*16;
const s = ort.createSession(encodeModel({ nodes: [{ op: 'Relu', inputs: ['X'], outputs: ['Y'] }], inputs: [{ name: 'X', shape: [n] }], outputs: [{ name: 'Y', shape: [n] }] }));
const mem = new WebAssembly.Memory({ initial: 2000 });
const x = new Float32Array(mem.buffer, 0, n), y = new Float32Array(mem.buffer, n * 4, n);
const x2 = new Float32Array(n), y2 = new Float32Array(n);
function time(fn, k) { fn(); const t0 = performance.now(); for (let i = 0; i < k; i++) fn(); return (performance.now() - t0) / k; }
for (let r = 0; r < 3; r++) {
console.log('heap prealloc', time(() => s.run({ X: ort.tensor(x, [n]) }, { Y: ort.tensor(y, [n]) }, {}), 20).toFixed(2),
  'plain prealloc', time(() => s.run({ X: ort.tensor(x2, [n]) }, { Y: ort.tensor(y2, [n]) }, {}), 20).toFixed(2),
  'no prealloc', time(() => s.run({ X: ort.tensor(x2, [n]) }, { Y: null }, {}), 20).toFixed(2),
  'js copy', time(() => y2.set(x2), 20).toFixed(2));
}
