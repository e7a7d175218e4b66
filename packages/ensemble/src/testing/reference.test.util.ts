import type { Tensor } from '@shrinkray/tensor-core';

/**
 * Independent references for the text-ensemble tests (the ensemble's own math is not used): row-wise
 * softmax of a member's logits in float64, and top-1 accuracy of a row-major score matrix.
 */
export function softmaxReference(logits: Tensor<'float32'>): Float64Array {
  const [rows, cols] = logits.shape as [number, number];
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, logits.data[r * cols + c]!);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(logits.data[r * cols + c]! - max);
    for (let c = 0; c < cols; c++) out[r * cols + c] = Math.exp(logits.data[r * cols + c]! - max) / sum;
  }
  return out;
}

/** Fraction of rows whose largest score (lowest index on ties) is the label. */
export function accuracyReference(scores: ArrayLike<number>, labels: Int32Array, cols: number): number {
  let correct = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (scores[r * cols + c]! > scores[r * cols + best]!) best = c;
    if (best === labels[r]) correct++;
  }
  return correct / labels.length;
}
