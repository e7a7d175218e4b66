import { ConfigError } from './errors/config-error.js';
import { ShapeMismatchError } from './errors/shape-mismatch-error.js';
import { formatShape, Tensor } from './tensor.js';

/**
 * Batched numerics on `[N, C]` float32 logits or probabilities, in plain JavaScript. Every sum is
 * accumulated in float64 and every row is shifted by its maximum before `exp`, so logits of ±1e4
 * (or larger) give exact, finite results. Results are float32 tensors (or plain numbers).
 */

/** Rows and columns of a rank-2 tensor; throws `ShapeMismatchError` naming `name` otherwise. */
export function matrixShape(t: Tensor, name = 'logits'): { rows: number; cols: number } {
  if (t.shape.length !== 2) {
    throw new ShapeMismatchError({ tensor: name, expected: 'rank 2 [N, C]', found: formatShape(t.shape) });
  }
  return { rows: t.shape[0]!, cols: t.shape[1]! };
}

function checkTemperature(temperature: number): void {
  if (!Number.isFinite(temperature) || temperature <= 0) {
    throw new ConfigError('temperature', `must be a positive finite number, got ${temperature}`);
  }
}

/**
 * Checks that `labels` has one entry per row and every label is in `[0, numClasses)`.
 * Throws `ShapeMismatchError` (wrong length) or `ConfigError` (a label out of range, naming its row).
 */
export function checkLabels(labels: Int32Array, rows: number, numClasses: number, name = 'labels'): void {
  if (labels.length !== rows) {
    throw new ShapeMismatchError({ tensor: name, expected: `${rows} labels (one per row)`, found: `${labels.length}` });
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y < 0 || y >= numClasses) throw new ConfigError(name, `label ${y} at row ${i} is outside [0, ${numClasses})`);
  }
}

/**
 * Writes `log softmax(row / temperature)` for one row into `out` (float64), returning nothing.
 * Shared by every function here so all of them agree to the last bit.
 */
function logSoftmaxRow(src: Float32Array, offset: number, cols: number, invT: number, out: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < cols; j++) {
    const v = src[offset + j]! * invT;
    out[j] = v;
    if (v > max) max = v;
  }
  if (max === Number.NEGATIVE_INFINITY || Number.isNaN(max)) {
    // All -Infinity (or a NaN somewhere): propagate NaN rather than inventing a distribution.
    out.fill(Number.NaN, 0, cols);
    return;
  }
  if (max === Number.POSITIVE_INFINITY) {
    // +Infinity entries share all the mass.
    let count = 0;
    for (let j = 0; j < cols; j++) if (out[j] === Number.POSITIVE_INFINITY) count++;
    const logShare = -Math.log(count);
    for (let j = 0; j < cols; j++) out[j] = out[j] === Number.POSITIVE_INFINITY ? logShare : Number.NEGATIVE_INFINITY;
    return;
  }
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += Math.exp(out[j]! - max);
  // Subtract the maximum first: `max + log(sum)` would lose log(sum) next to a huge max.
  const logSum = Math.log(sum);
  for (let j = 0; j < cols; j++) out[j] = out[j]! - max - logSum;
}

/**
 * Row-wise `log softmax(logits / temperature)`: `z_j/T − log Σ_k exp(z_k/T)`, computed as
 * `(z_j/T − m) − log Σ_k exp(z_k/T − m)` with `m` the row maximum, so it is exact for logits of any
 * magnitude (e.g. `[1e4, -1e4]` gives `[0, -2e4]`).
 *
 * @param logits `[N, C]` float32.
 * @param temperature positive; `1` by default.
 */
export function logSoftmax(logits: Tensor<'float32'>, temperature = 1): Tensor<'float32'> {
  const { rows, cols } = matrixShape(logits);
  checkTemperature(temperature);
  const out = new Float32Array(rows * cols);
  const row = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    logSoftmaxRow(logits.data, i * cols, cols, 1 / temperature, row);
    for (let j = 0; j < cols; j++) out[i * cols + j] = row[j]!;
  }
  return new Tensor('float32', [rows, cols], out);
}

/**
 * Row-wise `softmax(logits / temperature)`. Higher temperatures give softer distributions
 * (Hinton et al. 2015). Stable for extreme logits; each row sums to 1 within float32 rounding.
 */
export function softmax(logits: Tensor<'float32'>, temperature = 1): Tensor<'float32'> {
  const { rows, cols } = matrixShape(logits);
  checkTemperature(temperature);
  const out = new Float32Array(rows * cols);
  const row = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    logSoftmaxRow(logits.data, i * cols, cols, 1 / temperature, row);
    for (let j = 0; j < cols; j++) out[i * cols + j] = Math.exp(row[j]!);
  }
  return new Tensor('float32', [rows, cols], out);
}

/**
 * Mean cross-entropy of the true labels under `softmax(logits)`: `−(1/N) Σ_i log p_i[y_i]`.
 *
 * @param labels one class index per row, each in `[0, C)`.
 */
export function crossEntropyFromLogits(logits: Tensor<'float32'>, labels: Int32Array): number {
  const { rows, cols } = matrixShape(logits);
  checkLabels(labels, rows, cols);
  if (rows === 0) return Number.NaN;
  const row = new Float64Array(cols);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    logSoftmaxRow(logits.data, i * cols, cols, 1, row);
    total -= row[labels[i]!]!;
  }
  return total / rows;
}

/**
 * Mean Kullback–Leibler divergence `KL(p ‖ q)` between `p = softmax(pLogits / T)` and
 * `q = softmax(qLogits / T)`: `(1/N) Σ_i Σ_j p_ij (log p_ij − log q_ij)`. Terms with `p_ij = 0`
 * contribute 0. In distillation `p` is the teacher and `q` the student. Not multiplied by `T²`.
 */
export function klDivergence(pLogits: Tensor<'float32'>, qLogits: Tensor<'float32'>, temperature = 1): number {
  const { rows, cols } = matrixShape(pLogits, 'p logits');
  const q = matrixShape(qLogits, 'q logits');
  if (q.rows !== rows || q.cols !== cols) {
    throw new ShapeMismatchError({ tensor: 'q logits', expected: formatShape(pLogits.shape), found: formatShape(qLogits.shape) });
  }
  checkTemperature(temperature);
  if (rows === 0) return Number.NaN;
  const lp = new Float64Array(cols);
  const lq = new Float64Array(cols);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    logSoftmaxRow(pLogits.data, i * cols, cols, 1 / temperature, lp);
    logSoftmaxRow(qLogits.data, i * cols, cols, 1 / temperature, lq);
    for (let j = 0; j < cols; j++) {
      const p = Math.exp(lp[j]!);
      if (p > 0) total += p * (lp[j]! - lq[j]!);
    }
  }
  return total / rows;
}

/** Index of the largest value in each row (the first one on ties). `[N, C]` -> `N` indices. */
export function argmax(t: Tensor<'float32'>): Int32Array {
  const { rows, cols } = matrixShape(t);
  const out = new Int32Array(rows);
  const d = t.data;
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bestValue = d[i * cols]!;
    for (let j = 1; j < cols; j++) {
      const v = d[i * cols + j]!;
      if (v > bestValue) {
        bestValue = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

/**
 * The `k` largest values of each row and their column indices, largest first (ties: lower index
 * first). Returns `[N, k]` tensors.
 */
export function topK(t: Tensor<'float32'>, k: number): { values: Tensor<'float32'>; indices: Tensor<'int32'> } {
  const { rows, cols } = matrixShape(t);
  if (!Number.isInteger(k) || k < 1 || k > cols) throw new ConfigError('k', `must be an integer in [1, ${cols}], got ${k}`);
  const values = new Float32Array(rows * k);
  const indices = new Int32Array(rows * k);
  const order = new Int32Array(cols);
  const d = t.data;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) order[j] = j;
    const base = i * cols;
    // Partial selection sort: k is small in practice (top-1, top-5).
    for (let a = 0; a < k; a++) {
      let best = a;
      for (let b = a + 1; b < cols; b++) {
        const vb = d[base + order[b]!]!;
        const vBest = d[base + order[best]!]!;
        if (vb > vBest || (vb === vBest && order[b]! < order[best]!)) best = b;
      }
      const tmp = order[a]!;
      order[a] = order[best]!;
      order[best] = tmp;
      indices[i * k + a] = order[a]!;
      values[i * k + a] = d[base + order[a]!]!;
    }
  }
  return { values: new Tensor('float32', [rows, k], values), indices: new Tensor('int32', [rows, k], indices) };
}

/** The smallest probability a log is taken of, so `log(0)` stays finite (-69.08). */
export const MIN_PROBABILITY = 1e-30;

/**
 * Logits (up to a per-row constant) from probabilities: `log(max(p, MIN_PROBABILITY))`, in place
 * when `inPlace` is set. Softmax of the result gives back `p` (to within `MIN_PROBABILITY`).
 */
export function logitsFromProbabilities(p: Tensor<'float32'>, inPlace = false): Tensor<'float32'> {
  const out = inPlace ? p.data : new Float32Array(p.size);
  const src = p.data;
  for (let i = 0; i < src.length; i++) out[i] = Math.log(Math.max(src[i]!, MIN_PROBABILITY));
  return inPlace ? p : new Tensor('float32', p.shape, out);
}
