import * as tf from '@tensorflow/tfjs-core';
import {
  heapF32,
  type KernelArgs,
  type KernelFunc,
  runSingle,
  setShape,
  sizeOf,
  transposeLastTwo,
  view,
  type WasmBackendLike,
} from './wasm-backend.js';

/*
 * tfjs-backend-wasm multiplies through XNNPACK only when neither operand is transposed and there is one
 * batch; every other case runs a naive loop, 10-20x slower (transposeA ~1.2 GFLOP/s vs ~25 GFLOP/s).
 * Backprop through Dense is made of exactly those cases (dX = dY·Wᵀ, dW = Xᵀ·dY). The wrappers below
 * transpose explicitly with the wasm Transpose kernel (O(n²) copy) and multiply on the fast path (O(n³)),
 * and split batched products into single-batch ones.
 */

/** Products smaller than this many multiply-adds stay on the original kernel (call overhead dominates). */
const SMALL_PRODUCT = 16 * 16 * 16;

interface Operands {
  a: tf.TensorInfo;
  b: tf.TensorInfo;
}

function outerDims(x: tf.TensorInfo): number[] {
  return x.shape.slice(0, -2);
}

/**
 * `a·b` for non-transposed operands through the fast 2-D path of `base` (BatchMatMul or _FusedMatMul
 * with its other inputs/attrs in `extra`). Batched operands: when `b` has one batch, the batches of `a`
 * are folded into its rows (one product); otherwise each batch is multiplied separately.
 */
function fastProduct(
  backend: WasmBackendLike,
  base: KernelFunc,
  { a, b }: Operands,
  extraInputs: Record<string, tf.TensorInfo>,
  attrs: Record<string, unknown>,
): tf.TensorInfo {
  const m = a.shape[a.shape.length - 2]!;
  const k = a.shape[a.shape.length - 1]!;
  const n = b.shape[b.shape.length - 1]!;
  const batchA = sizeOf(outerDims(a));
  const batchB = sizeOf(outerDims(b));
  const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(outerDims(a), outerDims(b));
  const outShape = [...outBatch, m, n];
  const call = (x: tf.TensorInfo, y: tf.TensorInfo) =>
    runSingle(base, { inputs: { ...extraInputs, a: x, b: y }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } } as KernelArgs);

  if (batchA <= 1 && batchB <= 1) {
    return setShape(backend, call(view(a, [1, m, k]), view(b, [1, k, n])), outShape);
  }
  if (batchB === 1) {
    return setShape(backend, call(view(a, [1, batchA * m, k]), view(b, [1, k, n])), outShape);
  }
  // Several batches of b: multiply batch by batch, copying slices through the heap.
  const batches = Math.max(batchA, batchB);
  const out = backend.makeOutput(outShape, 'float32');
  for (let i = 0; i < batches; i++) {
    const ai = slice(backend, a, i % batchA, batchA, [1, m, k]);
    const bi = slice(backend, b, i % batchB, batchB, [1, k, n]);
    const ci = call(ai.info, bi.info);
    heapF32(backend, out).set(heapF32(backend, ci), i * m * n);
    backend.disposeData(ci.dataId);
    if (ai.owned) backend.disposeData(ai.info.dataId);
    if (bi.owned) backend.disposeData(bi.info.dataId);
  }
  return out;
}

/** Batch `i` of `x` as a [1, rows, cols] tensor: a view when x has one batch, else a copy. */
function slice(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  i: number,
  batches: number,
  shape: number[],
): { info: tf.TensorInfo; owned: boolean } {
  if (batches === 1) return { info: view(x, shape), owned: false };
  const size = sizeOf(shape);
  const info = backend.makeOutput(shape, 'float32');
  heapF32(backend, info).set(heapF32(backend, x).subarray(i * size, (i + 1) * size));
  return { info, owned: true };
}

function isSmall(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): boolean {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  return m * k * n < SMALL_PRODUCT;
}

/** Explicit transposes of the operands that are transposed; the caller disposes `temps`. */
function untranspose(backend: WasmBackendLike, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean) {
  const temps: tf.TensorInfo[] = [];
  let a2 = a;
  let b2 = b;
  if (transposeA) {
    a2 = transposeLastTwo(backend, a);
    temps.push(a2);
  }
  if (transposeB) {
    b2 = transposeLastTwo(backend, b);
    temps.push(b2);
  }
  return { operands: { a: a2, b: b2 }, temps };
}

function validate(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean, kernel: string): boolean {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return false;
  if (a.shape.length < 2 || b.shape.length < 2) return false;
  const ka = transposeA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
  const kb = transposeB ? b.shape[b.shape.length - 1] : b.shape[b.shape.length - 2];
  if (ka !== kb) {
    throw new Error(
      `${kernel}: inner dimensions of a ${JSON.stringify(a.shape)} (transposeA=${transposeA}) and b ${JSON.stringify(b.shape)} (transposeB=${transposeB}) differ: ${ka} vs ${kb}`,
    );
  }
  return true;
}

/** BatchMatMul through explicit transposes and the fast single-batch path; falls back to `original` otherwise. */
export function makeBatchMatMul(original: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackendLike;
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA = false, transposeB = false } = (args.attrs ?? {}) as Partial<tf.BatchMatMulAttrs>;
    if (!validate(a, b, transposeA, transposeB, 'BatchMatMul') || isSmall(a, b, transposeA, transposeB)) return original(args);
    const { operands, temps } = untranspose(backend, a, b, transposeA, transposeB);
    try {
      return fastProduct(backend, original, operands, {}, {});
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/** _FusedMatMul (Dense layers: matmul + bias + activation) through explicit transposes and the fast path. */
export function makeFusedMatMul(original: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackendLike;
    const inputs = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    const attrs = (args.attrs ?? {}) as Partial<tf._FusedMatMulAttrs>;
    const { a, b } = inputs;
    const transposeA = attrs.transposeA ?? false;
    const transposeB = attrs.transposeB ?? false;
    const n = transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
    const prelu = inputs.preluActivationWeights;
    // PReLU weights may broadcast over rows; folding batches into rows is only safe when they are per-column.
    const preluOk = prelu == null || sizeOf(prelu.shape) === 1 || (prelu.shape.length === 1 && prelu.shape[0] === n);
    // The stock kernel adds the bias wrongly when an operand is transposed or there are several batches,
    // so only plain 2-D products may stay on it (when small).
    const plain = !transposeA && !transposeB && sizeOf(outerDims(a)) <= 1 && sizeOf(outerDims(b)) <= 1;
    if (!validate(a, b, transposeA, transposeB, '_FusedMatMul') || !preluOk || (plain && isSmall(a, b, false, false))) {
      return original(args);
    }
    const extra: Record<string, tf.TensorInfo> = {};
    if (inputs.bias != null) extra['bias'] = inputs.bias;
    if (prelu != null) extra['preluActivationWeights'] = prelu;
    const { operands, temps } = untranspose(backend, a, b, transposeA, transposeB);
    try {
      return fastProduct(backend, original, operands, extra, { activation: attrs.activation, leakyreluAlpha: attrs.leakyreluAlpha });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}
