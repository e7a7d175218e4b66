import { loadOrt } from '/work/wt/i16/packages/tensor-core/dist/wasm-kernels/ort/native.js';
import { encodeModel } from '/work/wt/i16/packages/tensor-core/dist/wasm-kernels/ort/onnx-graph.js';
const ort = loadOrt();
const K = 100352, M = 144, N = 16;
function time(fn, k) { fn(); const t0 = performance.now(); for (let i = 0; i < k; i++) fn(); return (performance.now() - t0) / k; }
const a = new Float32Array(K*M).map(() => Math.random()), b = new Float32Array(K*N).map(() => Math.random()), y = new Float32Array(M*N);
for (const [tA, ashape] of [[1, [K, M]], [0, [M, K]]]) {
  const s = ort.createSession(encodeModel({ nodes: [{ op: 'Gemm', inputs: ['A', 'B'], outputs: ['Y'], attributes: { transA: tA } }], inputs: [{ name: 'A', shape: ashape }, { name: 'B', shape: [K, N] }], outputs: [{ name: 'Y', shape: [M, N] }] }));
  const ms = time(() => s.run({ A: ort.tensor(a, ashape), B: ort.tensor(b, [K, N]) }, { Y: ort.tensor(y, [M, N]) }, {}), 5);
  console.log('transA', tA, ms.toFixed(1), 'ms', (2*K*M*N/ms/1e6).toFixed(1), 'GFLOP/s');
}
// MatMul of B^T A  -> [N, M]
const s2 = ort.createSession(encodeModel({ nodes: [{ op: 'Gemm', inputs: ['B', 'A'], outputs: ['Y'], attributes: { transA: 1 } }], inputs: [{ name: 'B', shape: [K, N] }, { name: 'A', shape: [K, M] }], outputs: [{ name: 'Y', shape: [N, M] }] }));
const ms2 = time(() => s2.run({ A: ort.tensor(a, [K, M]), B: ort.tensor(b, [K, N]) }, { Y: ort.tensor(y, [N, M]) }, {}), 5);
console.log('dyT col', ms2.toFixed(1), 'ms', (2*K*M*N/ms2/1e6).toFixed(1));
