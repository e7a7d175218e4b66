import { formatShape, MIN_PROBABILITY, ShapeMismatchError, type Tensor } from '@shrinkray/tensor-core';
import { MemberMismatchError } from './errors/member-mismatch-error.js';

/**
 * Internal float64 helpers over `[N, C]` member outputs. Every row is shifted by its maximum before
 * `exp`, so extreme logits stay exact.
 */

/** Checks that all member outputs are `[N, C]` with the same N and C; returns them. */
export function outputShape(logits: readonly Tensor<'float32'>[], names?: readonly string[]): { rows: number; cols: number } {
  const first = logits[0];
  if (!first) throw new ShapeMismatchError({ tensor: 'member outputs', expected: 'at least one member', found: '0' });
  if (first.shape.length !== 2) {
    throw new MemberMismatchError({ member: names?.[0] ?? 'member 0', index: 0, what: 'output', expected: '[N, classes]', found: formatShape(first.shape) });
  }
  const rows = first.shape[0]!;
  const cols = first.shape[1]!;
  for (const [i, t] of logits.entries()) {
    if (t.shape.length !== 2 || t.shape[0] !== rows || t.shape[1] !== cols) {
      throw new MemberMismatchError({ member: names?.[i] ?? `member ${i}`, index: i, what: 'output', expected: formatShape([rows, cols]), found: formatShape(t.shape) });
    }
  }
  return { rows, cols };
}

/** Row-wise log-softmax in float64. */
export function logSoftmaxRows(t: Tensor<'float32'>): Float64Array {
  const rows = t.shape[0] ?? 0;
  const cols = t.shape[1] ?? 0;
  const src = t.data;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < cols; j++) if (src[base + j]! > max) max = src[base + j]!;
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(src[base + j]! - max);
    const logSum = max + Math.log(sum);
    for (let j = 0; j < cols; j++) out[base + j] = src[base + j]! - logSum;
  }
  return out;
}

/** Row-wise softmax in float64. */
export function softmaxRows(t: Tensor<'float32'>): Float64Array {
  const out = logSoftmaxRows(t);
  for (let k = 0; k < out.length; k++) out[k] = Math.exp(out[k]!);
  return out;
}

/** Index of each row's largest value; the lowest index on ties. */
export function argmaxRows(values: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bestValue = values[i * cols]!;
    for (let j = 1; j < cols; j++) {
      const v = values[i * cols + j]!;
      if (v > bestValue) {
        bestValue = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Top-1 accuracy of a row-major score matrix. */
export function accuracyOf(values: ArrayLike<number>, rows: number, cols: number, labels: Int32Array): number {
  const predicted = argmaxRows(values, rows, cols);
  let correct = 0;
  for (let i = 0; i < rows; i++) if (predicted[i] === labels[i]) correct++;
  return rows === 0 ? Number.NaN : correct / rows;
}


/** Mean negative log-likelihood of the labels under row-major probabilities. */
export function nllOf(probabilities: ArrayLike<number>, rows: number, cols: number, labels: Int32Array): number {
  let total = 0;
  for (let i = 0; i < rows; i++) total -= Math.log(Math.max(probabilities[i * cols + labels[i]!]!, MIN_PROBABILITY));
  return rows === 0 ? Number.NaN : total / rows;
}
