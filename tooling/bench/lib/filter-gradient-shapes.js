// The filter gradients of the `train` bench's ResNet-style model (batch 128), computed in ONNX Runtime
// by candidate graphs side by side in one process: the swapped-axes Conv, the im2col Gemm, im2col
// products batched over row chunks, and per-tap batched products (chunks 1-32). Prints the median ms per
// call per shape; the chosen kernels and numbers are in tensor-core's `wasm-kernels/ort/conv.ts`.
// Usage: node tooling/bench/lib/filter-gradient-shapes.js  (env V=variant,... ONLY=shape-substring REPS=n)
// Reads tensor-core's build (pnpm build first).
const D = new URL('../../../packages/tensor-core/dist/wasm-kernels/ort/', import.meta.url).href;
const { encodeModel } = await import(D + 'onnx-graph.js');
const { loadOrt } = await import(D + 'native.js');
const { im2colNodes } = await import(D + 'im2col.js');
const ort = loadOrt();
if (!ort) throw new Error('onnxruntime-node did not load');
const N = 128;
const shapes = [
  { name: '28x28x1->16 3x3 s1', h: 28, ci: 1, co: 16, k: 3, s: 1 },
  { name: '28x28x16->16 3x3 s1', h: 28, ci: 16, co: 16, k: 3, s: 1 },
  { name: '28x28x16->32 3x3 s2', h: 28, ci: 16, co: 32, k: 3, s: 2 },
  { name: '28x28x16->32 1x1 s2', h: 28, ci: 16, co: 32, k: 1, s: 2 },
  { name: '14x14x32->32 3x3 s1', h: 14, ci: 32, co: 32, k: 3, s: 1 },
  { name: '14x14x32->64 3x3 s2', h: 14, ci: 32, co: 64, k: 3, s: 2 },
  { name: '14x14x32->64 1x1 s2', h: 14, ci: 32, co: 64, k: 1, s: 2 },
  { name: '7x7x64->64 3x3 s1', h: 7, ci: 64, co: 64, k: 3, s: 1 },
].filter((s) => !process.env.ONLY || s.name.includes(process.env.ONLY));
function geo(sh) {
  const outH = Math.ceil(sh.h / sh.s);
  const padTotal = Math.max((outH - 1) * sh.s + sh.k - sh.h, 0);
  const top = Math.floor(padTotal / 2);
  return { batch: N, inH: sh.h, inW: sh.h, inC: sh.ci, outH, outW: outH, outC: sh.co, fh: sh.k, fw: sh.k, sh: sh.s, sw: sh.s, dh: 1, dw: 1, padTop: top, padLeft: top, padBottom: padTotal - top };
}
const T = (i, o, perm) => ({ op: 'Transpose', inputs: [i], outputs: [o], attributes: { perm } });
// A: swapped conv (current)
function swapped(g) {
  const endH = g.sh * (g.outH - 1) + g.fh - g.padTop - g.inH;
  const nodes = [T('X', 'Xt', [3, 0, 1, 2]), T('DY', 'DYt', [3, 0, 1, 2])];
  const constants = [];
  let xt = 'Xt';
  const used = g.inH + Math.min(endH, 0);
  if (used < g.inH) {
    constants.push({ name: 'st', shape: [2], values: [0, 0], int64: true }, { name: 'en', shape: [2], values: [used, used], int64: true }, { name: 'ax', shape: [2], values: [2, 3], int64: true });
    nodes.push({ op: 'Slice', inputs: ['Xt', 'st', 'en', 'ax'], outputs: ['Xs'] });
    xt = 'Xs';
  }
  nodes.push({ op: 'Conv', inputs: [xt, 'DYt'], outputs: ['G'], attributes: { kernel_shape: [g.outH, g.outW], strides: [1, 1], dilations: [g.sh, g.sw], pads: [g.padTop, g.padLeft, Math.max(endH, 0), Math.max(endH, 0)], group: 1 } });
  nodes.push(T('G', 'Y4', [2, 3, 0, 1]), R('Y4', 'Y', [g.fh * g.fw * g.inC, g.outC], constants));
  return { nodes, constants, dy: [N, g.outH, g.outW, g.outC] };
}
function im2col(g) {
  const col = im2colNodes('X', 'col', g);
  return { nodes: [...col.nodes, { op: 'Gemm', inputs: ['col', 'DY'], outputs: ['Y'], attributes: { transA: 1 } }], constants: col.constants, dy: [N * g.outH * g.outW, g.outC] };
}
function R(i, o, shape, constants) { const n = `${o}_rs`; constants.push({ name: n, shape: [shape.length], values: shape, int64: true }); return { op: 'Reshape', inputs: [i, n], outputs: [o] }; }
// C: chunked im2col: col [rows, taps] -> [chunks, rows/chunks, taps]; FusedMatMul transA batched; ReduceSum
function chunked(chunks, fused) {
  return (g) => {
    const col = im2colNodes('X', 'col', g);
    const rows = N * g.outH * g.outW; const taps = g.fh * g.fw * g.inC;
    const c = col.constants;
    const nodes = [...col.nodes, R('col', 'colc', [chunks, rows / chunks, taps], c), R('DY', 'dyc', [chunks, rows / chunks, g.outC], c)];
    if (fused) nodes.push({ op: 'FusedMatMul', domain: 'com.microsoft', inputs: ['colc', 'dyc'], outputs: ['P'], attributes: { transA: 1 } });
    else nodes.push(T('colc', 'colt', [0, 2, 1]), { op: 'MatMul', inputs: ['colt', 'dyc'], outputs: ['P'] });
    c.push({ name: 'rax', shape: [1], values: [0], int64: true });
    nodes.push({ op: 'ReduceSum', inputs: ['P', 'rax'], outputs: ['Y'], attributes: { keepdims: 0 } });
    return { nodes, constants: c, dy: [N * g.outH * g.outW, g.outC] };
  };
}
// D: per tap slices; each [n,oh,ow,ci] -> chunked fused matmul, concat
function pertap(chunks) {
  return (g) => {
    const c = []; const nodes = [];
    const bottom = Math.max(0, (g.outH - 1) * g.sh + g.fh - 1 - g.padTop - (g.inH - 1));
    let padded = 'X';
    if (g.padTop > 0 || bottom > 0) { c.push({ name: 'pads', shape: [8], values: [0, g.padTop, g.padLeft, 0, 0, bottom, bottom, 0], int64: true }); nodes.push({ op: 'Pad', inputs: ['X', 'pads'], outputs: ['Xp'] }); padded = 'Xp'; }
    c.push({ name: 'ax', shape: [2], values: [1, 2], int64: true }, { name: 'stp', shape: [2], values: [g.sh, g.sw], int64: true });
    const rows = N * g.outH * g.outW;
    const outs = [];
    nodes.push(R('DY', 'dyc', [chunks, rows / chunks, g.outC], c));
    for (let kh = 0; kh < g.fh; kh++) for (let kw = 0; kw < g.fw; kw++) {
      const tap = `t${kh}_${kw}`;
      c.push({ name: `${tap}_s`, shape: [2], values: [kh, kw], int64: true }, { name: `${tap}_e`, shape: [2], values: [kh + (g.outH - 1) * g.sh + 1, kw + (g.outW - 1) * g.sw + 1], int64: true });
      nodes.push({ op: 'Slice', inputs: [padded, `${tap}_s`, `${tap}_e`, 'ax', 'stp'], outputs: [tap] });
      nodes.push(R(tap, `${tap}_c`, [chunks, rows / chunks, g.inC], c));
      nodes.push({ op: 'FusedMatMul', domain: 'com.microsoft', inputs: [`${tap}_c`, 'dyc'], outputs: [`${tap}_p`], attributes: { transA: 1 } });
      outs.push(`${tap}_p`);
    }
    nodes.push({ op: 'Concat', inputs: outs, outputs: ['cat'], attributes: { axis: 1 } });
    c.push({ name: 'rax', shape: [1], values: [0], int64: true });
    nodes.push({ op: 'ReduceSum', inputs: ['cat', 'rax'], outputs: ['Y'], attributes: { keepdims: 0 } });
    return { nodes, constants: c, dy: [N * g.outH * g.outW, g.outC] };
  };
}
const variants = { swapped, im2col, c4: chunked(4, true), c16: chunked(16, true), c64: chunked(64, true), c16mm: chunked(16, false), tap1: pertap(1), tap8: pertap(8), tap32: pertap(32), tap4: pertap(4), tap16: pertap(16) };
const pick = process.env.V ? process.env.V.split(',') : Object.keys(variants);
const reps = Number(process.env.REPS ?? 5);
for (const sh of shapes) {
  const g = geo(sh);
  const x = Float32Array.from({ length: N * sh.h * sh.h * sh.ci }, () => Math.random() - 0.5);
  const dy = Float32Array.from({ length: N * g.outH * g.outW * sh.co }, () => Math.random() - 0.5);
  const wShape = [sh.k * sh.k * sh.ci, sh.co];
  let ref; const res = {};
  for (const v of pick) {
    const b = variants[v](g);
    const spec = { nodes: b.nodes, constants: b.constants, inputs: [{ name: 'X', shape: [N, sh.h, sh.h, sh.ci] }, { name: 'DY', shape: b.dy }], outputs: [{ name: 'Y', shape: wShape }] };
    let sess;
    try { sess = ort.createSession(encodeModel(spec)); } catch (e) { res[v] = 'ERR ' + String(e.message).slice(0, 80); continue; }
    const out = new Float32Array(sh.k * sh.k * sh.ci * sh.co);
    const run = () => sess.run({ X: ort.tensor(x, [N, sh.h, sh.h, sh.ci]), DY: ort.tensor(dy, b.dy) }, { Y: ort.tensor(out, wShape) }, {});
    run();
    if (!ref) ref = out.slice(); else { let e = 0, m = 0; for (let i = 0; i < out.length; i++) { e = Math.max(e, Math.abs(out[i] - ref[i])); m = Math.max(m, Math.abs(ref[i])); } if (e / m > 1e-4) res[v + '_err'] = e / m; }
    const times = [];
    for (let r = 0; r < reps; r++) { const t0 = performance.now(); run(); times.push(performance.now() - t0); }
    times.sort((a, b) => a - b);
    res[v] = +times[Math.floor(times.length / 2)].toFixed(1);
  }
  console.log(sh.name, JSON.stringify(res));
}
