import type { WasmBackendLike } from './wasm-backend.js';

/*
 * A few 128-bit SIMD loops over the wasm backend's own heap: a tiny WebAssembly module, encoded below
 * by hand, that imports tfjs-backend-wasm's memory. JavaScript loops over the heap run ~2 ns per
 * element (scalar, with bounds checks); these run 4 lanes at a time (~0.3-0.5 ns per element here).
 * Used for the per-channel arithmetic of bias adds and BatchNormalization, their per-channel sums
 * and means (bias gradients, batch statistics), the gradients of ReLU, 2x2 max pooling and
 * BatchNormalization, and the fused Adam(W) update. When the backend does not expose its memory, or
 * the module does not instantiate, callers keep their JavaScript loops (or tfjs' kernels).
 */

/** The SIMD loops. Pointers are byte offsets into the wasm heap; counts are elements. */
export interface SimdKernels {
  /**
   * `y = x op v` (`vectorFirst`: `y = v op x`) where `v` (c elements) repeats along `x` (n elements).
   * Needs `c % 4 === 0` and `n % c === 0`.
   */
  channel(op: ChannelOp, vectorFirst: boolean, x: number, v: number, y: number, n: number, c: number): void;
  /**
   * Adam(W) in float32 over the first `n` elements (`n % 4 === 0`; the caller does the rest):
   * `m' = β1·m + (1−β1)·g`, `s' = β2·s + (1−β2)·g²`, `v' = v·decay − rate·m' / (sqrt(s'·inverse2) + ε)`,
   * written to `outValue`, `outM`, `outS`.
   */
  adam(p: AdamPointers, n: number, k: AdamConstants): void;
  /**
   * `out[j] += Σ_r x[r·c + j]` over `rows` rows of `c` elements (`c % 4 === 0`), float32 lanes; the
   * caller zeroes `out` and keeps the row count per call modest for precision.
   */
  columnSum(x: number, out: number, rows: number, c: number): void;
  /**
   * `out[j] += Σ_r dy[r·c + j]·(x[r·c + j] − mean[j])` over `rows` rows of `c` elements (`c % 4 === 0`),
   * float32 lanes (BatchNormalization's gradient); the caller zeroes `out` and blocks the rows.
   */
  columnSumCentredProduct(dy: number, x: number, mean: number, out: number, rows: number, c: number): void;
  /**
   * `sums[j] += Σ_r d` and `squares[j] += Σ_r d²` with `d = x[r·c + j] − shift[j]`, over `rows` rows of
   * `c` elements (`c % 4 === 0`), float32 lanes (batch mean and variance in one pass); the caller zeroes
   * the outputs and blocks the rows.
   */
  columnMoments(x: number, shift: number, sums: number, squares: number, rows: number, c: number): void;
  /**
   * `sums[j] += Σ_r dy[r·c + j]` and `products[j] += Σ_r dy[r·c + j]·(x[r·c + j] − mean[j])` over `rows`
   * rows of `c` elements (`c % 4 === 0`), float32 lanes (BatchNormalization's gradient sums in one
   * pass); the caller zeroes the outputs and blocks the rows.
   */
  columnSumAndCentredProduct(dy: number, x: number, mean: number, sums: number, products: number, rows: number, c: number): void;
  /**
   * `y = (x − mean[j])·a[j] + b[j]` with `j` the channel (`c % 4 === 0`, `n % c === 0`): a normalisation
   * with per-channel factors in one pass.
   */
  centredAffine(x: number, mean: number, a: number, b: number, y: number, n: number, c: number): void;
  /**
   * `y = dy·a[j] + (x − mean[j])·b[j] + k[j]` with `j` the channel (`c % 4 === 0`, `n % c === 0`):
   * BatchNormalization's input gradient with batch statistics in one pass.
   */
  centredAffine2(dy: number, x: number, mean: number, a: number, b: number, k: number, y: number, n: number, c: number): void;
  /** `y = x > 0 ? dy : 0` over the first `n` elements (`n % 4 === 0`): ReLU's gradient. */
  reluGrad(dy: number, x: number, y: number, n: number): void;
  /**
   * MaxPoolGrad of 2x2 windows with stride 2 and no padding (NHWC, `c % 4 === 0`): writes every dx
   * element of each window, dy at the window's first maximum (row-major) and 0 elsewhere. Rows and
   * columns past the last window are not written (the caller zeroes them). A window with a NaN routes
   * nothing.
   */
  maxPoolGrad2x2(x: number, dy: number, dx: number, g: { batch: number; inH: number; inW: number; outH: number; outW: number; c: number }): void;
}

export type ChannelOp = 'add' | 'sub' | 'mul' | 'div';

/** Heap byte offsets of one variable's Adam inputs and outputs. */
export interface AdamPointers {
  value: number;
  grad: number;
  m: number;
  s: number;
  outValue: number;
  outM: number;
  outS: number;
}

/** Per-step constants of the Adam(W) update. */
export interface AdamConstants {
  beta1: number;
  beta2: number;
  rate: number;
  inverse2: number;
  epsilon: number;
  decay: number;
}

// --- encoding helpers -------------------------------------------------------------------------------

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function bytesOf(text: string): number[] {
  return [...uleb(text.length), ...Array.from(text, (ch) => ch.charCodeAt(0))];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const i32 = (n: number) => [0x41, ...sleb(n)];
const simd = (op: number) => [0xfd, ...uleb(op)];
const load = (ptr: number, index: number) => [...get(ptr), ...get(index), 0x6a, ...simd(0x00), 0x00, 0x00];
/** v128.store of the value on the stack's top at `ptr + index` needs the address first: see `store`. */
const addr = (ptr: number, index: number) => [...get(ptr), ...get(index), 0x6a];
const store = [...simd(0x0b), 0x00, 0x00];
const splat = [...simd(0x13)];
const F32X4 = { add: 0xe4, sub: 0xe5, mul: 0xe6, div: 0xe7, sqrt: 0xe3 } as const;
const I32_ADD = 0x6a;
const I32_LT_U = 0x49;
const I32_EQ = 0x46;

/** A function: params, extra locals (grouped as [count, type]), body (without the final `end`). */
interface Func {
  name: string;
  params: number[];
  locals: [number, number][];
  body: number[];
}

/** `y = x op v` over n elements (byte counts n4 = 4n, c4 = 4c), v repeating every c. */
function channelFunc(op: ChannelOp, vectorFirst: boolean): Func {
  // params: 0 x, 1 v, 2 y, 3 n4, 4 c4; locals: 5 i, 6 j
  const [a, b] = vectorFirst ? [load(1, 6), load(0, 5)] : [load(0, 5), load(1, 6)];
  const body = [
    0x03, 0x40, // loop
    ...addr(2, 5), ...a, ...b, ...simd(F32X4[op]), ...store,
    // i += 16
    ...get(5), ...i32(16), I32_ADD, ...set(5),
    // j += 16; if (j == c4) j = 0  ->  j = (j + 16 == c4) ? 0 : j + 16
    ...get(6), ...i32(16), I32_ADD, ...set(6),
    ...i32(0), ...get(6), ...get(6), ...get(4), I32_EQ, 0x1b, ...set(6),
    ...get(5), ...get(3), I32_LT_U, 0x0d, 0x00, // br_if loop while i < n4
    0x0b, // end loop
  ];
  return { name: `${op}${vectorFirst ? 'R' : ''}`, params: [I32, I32, I32, I32, I32], locals: [[2, I32]], body };
}

/** Adam(W) over n4/16 lanes of 4 (the caller passes n rounded down to a multiple of 4). */
function adamFunc(): Func {
  // params: 0 v, 1 g, 2 m, 3 s, 4 ov, 5 om, 6 os, 7 n4, 8 beta1, 9 beta2, 10 rate, 11 inverse2, 12 eps, 13 decay
  // locals: 14 i (i32); v128: 15 b1, 16 1-b1, 17 b2, 18 1-b2, 19 rate, 20 inv2, 21 eps, 22 decay, 23 g, 24 m', 25 s'
  const f32 = (x: number) => {
    const b = new Uint8Array(new Float32Array([x]).buffer);
    return [0x43, ...b];
  };
  const splatParam = (p: number, local: number) => [...get(p), ...splat, ...set(local)];
  const oneMinus = (p: number, local: number) => [...f32(1), ...get(p), 0x93 /* f32.sub */, ...splat, ...set(local)];
  const mul = simd(F32X4.mul);
  const add = simd(F32X4.add);
  const sub = simd(F32X4.sub);
  const div = simd(F32X4.div);
  const body = [
    ...splatParam(8, 15), ...oneMinus(8, 16), ...splatParam(9, 17), ...oneMinus(9, 18),
    ...splatParam(10, 19), ...splatParam(11, 20), ...splatParam(12, 21), ...splatParam(13, 22),
    0x02, 0x40, // block (skip when n4 == 0)
    ...get(7), 0x45 /* i32.eqz */, 0x0d, 0x00,
    0x03, 0x40, // loop
    ...load(1, 14), ...set(23),
    // m' = b1*m + (1-b1)*g
    ...get(15), ...load(2, 14), ...mul, ...get(16), ...get(23), ...mul, ...add, ...set(24),
    // s' = b2*s + (1-b2)*g*g
    ...get(17), ...load(3, 14), ...mul, ...get(18), ...get(23), ...mul, ...get(23), ...mul, ...add, ...set(25),
    ...addr(5, 14), ...get(24), ...store,
    ...addr(6, 14), ...get(25), ...store,
    // v' = v*decay - rate*m' / (sqrt(s'*inv2) + eps)
    ...addr(4, 14),
    ...load(0, 14), ...get(22), ...mul,
    ...get(19), ...get(24), ...mul,
    ...get(25), ...get(20), ...mul, ...simd(F32X4.sqrt), ...get(21), ...add,
    ...div, ...sub, ...store,
    ...get(14), ...i32(16), I32_ADD, ...set(14),
    ...get(14), ...get(7), I32_LT_U, 0x0d, 0x00,
    0x0b, // end loop
    0x0b, // end block
  ];
  return {
    name: 'adam',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32],
    locals: [[1, I32], [11, V128]],
    body,
  };
}

/**
 * The loop of the column functions: for each row of `rowBytes` (param `row`) up to `total` bytes (param
 * `total`), `inner` once per 16-byte lane with the element offset in local `i` and the column offset in
 * local `j`; skipped when `total` is 0.
 */
function rowLoop(total: number, row: number, i: number, j: number, inner: number[]): number[] {
  return [
    0x02, 0x40, // block (skip when empty)
    ...get(total), 0x45, 0x0d, 0x00,
    0x03, 0x40, // loop over rows
    ...i32(0), ...set(j),
    0x03, 0x40, // loop over the row
    ...inner,
    ...get(i), ...i32(16), I32_ADD, ...set(i),
    ...get(j), ...i32(16), I32_ADD, ...set(j),
    ...get(j), ...get(row), I32_LT_U, 0x0d, 0x00,
    0x0b,
    ...get(i), ...get(total), I32_LT_U, 0x0d, 0x00,
    0x0b,
    0x0b,
  ];
}

/** out[j..] += x rows: params 0 x, 1 out, 2 total bytes, 3 row bytes; locals 4 i, 5 j. */
function columnSumFunc(): Func {
  const body = rowLoop(2, 3, 4, 5, [...addr(1, 5), ...load(1, 5), ...load(0, 4), ...simd(F32X4.add), ...store]);
  return { name: 'colsum', params: [I32, I32, I32, I32], locals: [[2, I32]], body };
}

/** out[j..] += dy·(x − mean[j]) rows: params 0 dy, 1 x, 2 mean, 3 out, 4 total bytes, 5 row bytes; locals 6 i, 7 j. */
function columnSumCentredProductFunc(): Func {
  const body = rowLoop(4, 5, 6, 7, [...addr(3, 7), ...load(3, 7), ...load(0, 6), ...load(1, 6), ...load(2, 7), ...simd(F32X4.sub), ...simd(F32X4.mul), ...simd(F32X4.add), ...store]);
  return { name: 'colsumcp', params: [I32, I32, I32, I32, I32, I32], locals: [[2, I32]], body };
}

/** sums[j..] += d, squares[j..] += d² (d = x − shift[j]) rows: params 0 x, 1 shift, 2 sums, 3 squares, 4 total bytes, 5 row bytes; locals 6 i, 7 j, 8 d (v128). */
function columnMomentsFunc(): Func {
  const body = rowLoop(4, 5, 6, 7, [
    ...load(0, 6), ...load(1, 7), ...simd(F32X4.sub), ...set(8),
    ...addr(2, 7), ...load(2, 7), ...get(8), ...simd(F32X4.add), ...store,
    ...addr(3, 7), ...load(3, 7), ...get(8), ...get(8), ...simd(F32X4.mul), ...simd(F32X4.add), ...store,
  ]);
  return { name: 'colmoments', params: [I32, I32, I32, I32, I32, I32], locals: [[2, I32], [1, V128]], body };
}

/** sums[j..] += dy, products[j..] += dy·(x − mean[j]) rows: params 0 dy, 1 x, 2 mean, 3 sums, 4 products, 5 total bytes, 6 row bytes; locals 7 i, 8 j, 9 g (v128). */
function columnSumAndCentredProductFunc(): Func {
  const body = rowLoop(5, 6, 7, 8, [
    ...load(0, 7), ...set(9),
    ...addr(3, 8), ...load(3, 8), ...get(9), ...simd(F32X4.add), ...store,
    ...addr(4, 8), ...load(4, 8), ...get(9), ...load(1, 7), ...load(2, 8), ...simd(F32X4.sub), ...simd(F32X4.mul), ...simd(F32X4.add), ...store,
  ]);
  return { name: 'colsumdual', params: [I32, I32, I32, I32, I32, I32, I32], locals: [[2, I32], [1, V128]], body };
}

/**
 * The loop of the per-channel functions: `inner` once per 16-byte lane with the element offset in local
 * `i` and the channel offset in local `j` (wrapping at param `c4` bytes), up to param `n` bytes; skipped
 * when `n` is 0.
 */
function channelLoop(n: number, c4: number, i: number, j: number, inner: number[]): number[] {
  return [
    0x02, 0x40,
    ...get(n), 0x45, 0x0d, 0x00,
    0x03, 0x40,
    ...inner,
    ...get(i), ...i32(16), I32_ADD, ...set(i),
    ...get(j), ...i32(16), I32_ADD, ...set(j),
    ...i32(0), ...get(j), ...get(j), ...get(c4), I32_EQ, 0x1b, ...set(j),
    ...get(i), ...get(n), I32_LT_U, 0x0d, 0x00,
    0x0b,
    0x0b,
  ];
}

/** y = (x − mean)·a + b: params 0 x, 1 mean, 2 a, 3 b, 4 y, 5 n bytes, 6 c bytes; locals 7 i, 8 j. */
function centredAffineFunc(): Func {
  const body = channelLoop(5, 6, 7, 8, [...addr(4, 7), ...load(0, 7), ...load(1, 8), ...simd(F32X4.sub), ...load(2, 8), ...simd(F32X4.mul), ...load(3, 8), ...simd(F32X4.add), ...store]);
  return { name: 'caffine', params: [I32, I32, I32, I32, I32, I32, I32], locals: [[2, I32]], body };
}

/** y = dy·a + (x − mean)·b + k: params 0 dy, 1 x, 2 mean, 3 a, 4 b, 5 k, 6 y, 7 n bytes, 8 c bytes; locals 9 i, 10 j. */
function centredAffine2Func(): Func {
  const body = channelLoop(7, 8, 9, 10, [
    ...addr(6, 9),
    ...load(0, 9), ...load(3, 10), ...simd(F32X4.mul),
    ...load(1, 9), ...load(2, 10), ...simd(F32X4.sub), ...load(4, 10), ...simd(F32X4.mul), ...simd(F32X4.add),
    ...load(5, 10), ...simd(F32X4.add), ...store,
  ]);
  return { name: 'caffine2', params: [I32, I32, I32, I32, I32, I32, I32, I32, I32], locals: [[2, I32]], body };
}

/** y = dy & (x > 0): params 0 dy, 1 x, 2 y, 3 n bytes; locals 4 i, 5 zero (v128). */
function reluGradFunc(): Func {
  const body = [
    0x43, 0, 0, 0, 0, ...splat, ...set(5), // zero = f32x4.splat(0)
    0x02, 0x40,
    ...get(3), 0x45, 0x0d, 0x00,
    0x03, 0x40,
    ...addr(2, 4), ...load(0, 4), ...load(1, 4), ...get(5), ...simd(0x44 /* f32x4.gt */), ...simd(0x4e /* v128.and */), ...store,
    ...get(4), ...i32(16), I32_ADD, ...set(4),
    ...get(4), ...get(3), I32_LT_U, 0x0d, 0x00,
    0x0b,
    0x0b,
  ];
  return { name: 'relugrad', params: [I32, I32, I32, I32], locals: [[1, I32], [1, V128]], body };
}

/**
 * 2x2/stride-2 MaxPoolGrad over every output vector of 4 channels, walking x/dx with one pointer.
 * params 0 x, 1 dy, 2 dx, 3 out bytes, 4 c4, 5 outW, 6 outH, 7 row bytes, 8 row skip, 9 image skip;
 * i32 locals 10 o, 11 p, 12 ch, 13 ow, 14 oh, 15 pB, 16 pC, 17 pD; v128 locals 18 a, 19 b, 20 c,
 * 21 d, 22 m, 23 g, 24 ea, 25 eb, 26 ec.
 */
function maxPoolGradFunc(): Func {
  const [O, P, CH, OW, OH, PB, PC, PD] = [10, 11, 12, 13, 14, 15, 16, 17];
  const [A, B, C, D, M, G, EA, EB, EC] = [18, 19, 20, 21, 22, 23, 24, 25, 26];
  const eq = simd(0x41);
  const max = simd(0xe9);
  const and = simd(0x4e);
  const andnot = simd(0x4f);
  const or = simd(0x50);
  const inc = (local: number, by: number[]) => [...get(local), ...by, I32_ADD, ...set(local)];
  const storeTo = (ptr: number, mask: number[]) => [...addr(2, ptr), ...get(G), ...mask, ...and, ...store];
  const body = [
    0x02, 0x40,
    ...get(3), 0x45, 0x0d, 0x00,
    0x03, 0x40,
    ...get(P), ...get(4), I32_ADD, ...set(PB),
    ...get(P), ...get(7), I32_ADD, ...set(PC),
    ...get(PC), ...get(4), I32_ADD, ...set(PD),
    ...load(0, P), ...set(A), ...load(0, PB), ...set(B), ...load(0, PC), ...set(C), ...load(0, PD), ...set(D),
    ...get(A), ...get(B), ...max, ...get(C), ...get(D), ...max, ...max, ...set(M),
    ...load(1, O), ...set(G),
    ...get(A), ...get(M), ...eq, ...set(EA),
    ...get(B), ...get(M), ...eq, ...get(EA), ...andnot, ...set(EB),
    ...get(C), ...get(M), ...eq, ...get(EA), ...get(EB), ...or, ...andnot, ...set(EC),
    ...storeTo(P, get(EA)), ...storeTo(PB, get(EB)), ...storeTo(PC, get(EC)),
    ...storeTo(PD, [...get(D), ...get(M), ...eq, ...get(EA), ...get(EB), ...or, ...get(EC), ...or, ...andnot]),
    ...inc(O, i32(16)), ...inc(P, i32(16)), ...inc(CH, i32(16)),
    // end of the window's channels: next window (skip its right column)
    ...get(CH), ...get(4), I32_EQ, 0x04, 0x40,
    ...i32(0), ...set(CH), ...inc(P, get(4)), ...inc(OW, i32(1)),
    // end of a row of windows: next window row
    ...get(OW), ...get(5), I32_EQ, 0x04, 0x40,
    ...i32(0), ...set(OW), ...inc(P, get(8)), ...inc(OH, i32(1)),
    // end of an image: skip an odd last row
    ...get(OH), ...get(6), I32_EQ, 0x04, 0x40,
    ...i32(0), ...set(OH), ...inc(P, get(9)),
    0x0b, 0x0b, 0x0b,
    ...get(O), ...get(3), I32_LT_U, 0x0d, 0x00,
    0x0b,
    0x0b,
  ];
  return { name: 'maxpoolgrad', params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], locals: [[8, I32], [9, V128]], body };
}

function encodeModule(funcs: readonly Func[]): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0x00]);
  const imports = [[...bytesOf('env'), ...bytesOf('memory'), 0x02, 0x00, 0x00]]; // memory, min 0, no max
  const functions = funcs.map((_, i) => uleb(i));
  const exports = funcs.map((f, i) => [...bytesOf(f.name), 0x00, ...uleb(i)]);
  const codes = funcs.map((f) => {
    const body = [...vec(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(functions)),
    ...section(7, vec(exports)),
    ...section(10, vec(codes)),
  ]);
}

// --- instantiation ----------------------------------------------------------------------------------

/** The part of the global `WebAssembly` API used here (tensor-core compiles without the DOM library). */
interface WasmApi {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const OPS: readonly ChannelOp[] = ['add', 'sub', 'mul', 'div'];
const instances = new WeakMap<object, SimdKernels | null>();

type Exports = Record<string, (...args: number[]) => void>;

function instantiate(memory: object): SimdKernels {
  const funcs = [...OPS.flatMap((op) => [channelFunc(op, false), channelFunc(op, true)]), adamFunc(), columnSumFunc(), reluGradFunc(), maxPoolGradFunc(), columnSumCentredProductFunc(), columnMomentsFunc(), columnSumAndCentredProductFunc(), centredAffineFunc(), centredAffine2Func()];
  const module = new wasmApi.Module(encodeModule(funcs));
  const exports = new wasmApi.Instance(module, { env: { memory } }).exports as Exports;
  const channelFns = Object.fromEntries(OPS.flatMap((op) => [[op, exports[op]!], [`${op}R`, exports[`${op}R`]!]]));
  const adam = exports['adam']!;
  const colsum = exports['colsum']!;
  const relugrad = exports['relugrad']!;
  const maxpoolgrad = exports['maxpoolgrad']!;
  const colsumcp = exports['colsumcp']!;
  const colmoments = exports['colmoments']!;
  const colsumdual = exports['colsumdual']!;
  const caffine = exports['caffine']!;
  const caffine2 = exports['caffine2']!;
  return {
    channel(op, vectorFirst, x, v, y, n, c) {
      if (n > 0) channelFns[vectorFirst ? `${op}R` : op]!(x, v, y, n * 4, c * 4);
    },
    adam(p, n, k) {
      adam(p.value, p.grad, p.m, p.s, p.outValue, p.outM, p.outS, n * 4, k.beta1, k.beta2, k.rate, k.inverse2, k.epsilon, k.decay);
    },
    columnSum(x, out, rows, c) {
      colsum(x, out, rows * c * 4, c * 4);
    },
    columnSumCentredProduct(dy, x, mean, out, rows, c) {
      colsumcp(dy, x, mean, out, rows * c * 4, c * 4);
    },
    columnMoments(x, shift, sums, squares, rows, c) {
      colmoments(x, shift, sums, squares, rows * c * 4, c * 4);
    },
    columnSumAndCentredProduct(dy, x, mean, sums, products, rows, c) {
      colsumdual(dy, x, mean, sums, products, rows * c * 4, c * 4);
    },
    centredAffine(x, mean, a, b, y, n, c) {
      caffine(x, mean, a, b, y, n * 4, c * 4);
    },
    centredAffine2(dy, x, mean, a, b, k, y, n, c) {
      caffine2(dy, x, mean, a, b, k, y, n * 4, c * 4);
    },
    reluGrad(dy, x, y, n) {
      relugrad(dy, x, y, n * 4);
    },
    maxPoolGrad2x2(x, dy, dx, g) {
      const c4 = g.c * 4;
      const rowBytes = g.inW * c4;
      const outBytes = g.batch * g.outH * g.outW * c4;
      maxpoolgrad(x, dy, dx, outBytes, c4, g.outW, g.outH, rowBytes, 2 * rowBytes - g.outW * 2 * c4, (g.inH - 2 * g.outH) * rowBytes);
    },
  };
}

/**
 * The SIMD loops bound to `backend`'s heap, or null when the backend does not expose its
 * `WebAssembly.Memory` (tfjs-backend-wasm keeps it at `wasm.asm.memory`) or the module fails to
 * instantiate (no wasm SIMD). `SHRINKRAY_WASM_SIMD=off` also returns null (for comparisons).
 */
export function simdKernels(backend: WasmBackendLike): SimdKernels | null {
  const memory = (backend as unknown as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm?.memory;
  if (!(memory instanceof wasmApi.Memory) || simdDisabled()) return null;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    try {
      kernels = instantiate(memory);
    } catch {
      kernels = null;
    }
    instances.set(memory, kernels);
  }
  return kernels;
}

/** Environment variable that keeps the JavaScript loops (no SIMD module) when set to `off`. */
export const WASM_SIMD_ENV = 'SHRINKRAY_WASM_SIMD';

function simdDisabled(): boolean {
  const value = process.env[WASM_SIMD_ENV]?.trim().toLowerCase();
  return value === 'off' || value === '0' || value === 'false';
}
