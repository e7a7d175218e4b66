import { ConfigError } from './errors/config-error.js';
import { argmax, checkLabels, crossEntropyFromLogits, matrixShape, softmax, topK } from './numerics.js';
import { Tensor } from './tensor.js';

/**
 * Classification metrics on `[N, C]` model outputs and integer labels. Every function takes logits
 * by default; `from: 'probabilities'` reads the rows as probabilities instead (e.g. an ensemble's
 * averaged output). Labels must be in `[0, C)`.
 */

/** What the rows of a score tensor hold. */
export type ScoreKind = 'logits' | 'probabilities';

/** Options shared by the metrics that depend on probabilities. */
export interface MetricOptions {
  /** What the rows hold; `'logits'` by default. */
  from?: ScoreKind;
}

/** The smallest probability whose log is taken when `from: 'probabilities'`. */
const minProbability = 1e-30;

function probabilities(scores: Tensor<'float32'>, from: ScoreKind): Float32Array {
  return from === 'logits' ? softmax(scores).data : scores.data;
}

/** Fraction of rows whose highest score is the true label (top-1 accuracy). NaN for no rows. */
export function accuracy(scores: Tensor<'float32'>, labels: Int32Array): number {
  const { rows, cols } = matrixShape(scores);
  checkLabels(labels, rows, cols);
  const predicted = argmax(scores);
  let correct = 0;
  for (let i = 0; i < rows; i++) if (predicted[i] === labels[i]) correct++;
  return correct / rows;
}

/** Fraction of rows whose true label is among the `k` highest scores (ties: lower index first). */
export function topKAccuracy(scores: Tensor<'float32'>, labels: Int32Array, k: number): number {
  const { rows, cols } = matrixShape(scores);
  checkLabels(labels, rows, cols);
  const { indices } = topK(scores, k);
  let hits = 0;
  for (let i = 0; i < rows; i++) {
    for (let a = 0; a < k; a++) {
      if (indices.data[i * k + a] === labels[i]) {
        hits++;
        break;
      }
    }
  }
  return hits / rows;
}

/**
 * The `[C, C]` confusion matrix: entry `[t, p]` counts rows with true label `t` predicted as `p`
 * (rows = truth, columns = prediction, as in scikit-learn).
 */
export function confusionMatrix(scores: Tensor<'float32'>, labels: Int32Array): Tensor<'int32'> {
  const { rows, cols } = matrixShape(scores);
  checkLabels(labels, rows, cols);
  const predicted = argmax(scores);
  const out = new Int32Array(cols * cols);
  for (let i = 0; i < rows; i++) {
    const idx = labels[i]! * cols + predicted[i]!;
    out[idx] = out[idx]! + 1;
  }
  return new Tensor('int32', [cols, cols], out);
}

/**
 * Mean negative log-likelihood of the true labels, `−(1/N) Σ log p_i[y_i]` (natural log). From
 * logits this is the cross-entropy; from probabilities, `p` is clamped at 1e-30 so a zero stays finite.
 */
export function negativeLogLikelihood(scores: Tensor<'float32'>, labels: Int32Array, options: MetricOptions = {}): number {
  const from = options.from ?? 'logits';
  if (from === 'logits') return crossEntropyFromLogits(scores, labels);
  const { rows, cols } = matrixShape(scores);
  checkLabels(labels, rows, cols);
  let total = 0;
  for (let i = 0; i < rows; i++) total -= Math.log(Math.max(scores.data[i * cols + labels[i]!]!, minProbability));
  return total / rows;
}

/** Options of `expectedCalibrationError`. */
export interface EceOptions extends MetricOptions {
  /** Number of equal-width confidence bins over [0, 1]; 15 by default (Guo et al. 2017). */
  bins?: number;
}

/**
 * Expected calibration error (Guo et al. 2017, "On Calibration of Modern Neural Networks"): rows are
 * grouped by confidence `max_j p_ij` into `M` equal-width bins `((m−1)/M, m/M]`, and
 * `ECE = Σ_m (|B_m| / N) · |acc(B_m) − conf(B_m)|`, where `acc` is the fraction of correct top-1
 * predictions in the bin and `conf` its mean confidence. 0 is perfectly calibrated.
 */
export function expectedCalibrationError(scores: Tensor<'float32'>, labels: Int32Array, options: EceOptions = {}): number {
  const bins = options.bins ?? 15;
  if (!Number.isInteger(bins) || bins < 1) throw new ConfigError('bins', `must be a positive integer, got ${bins}`);
  const { rows, cols } = matrixShape(scores);
  checkLabels(labels, rows, cols);
  if (rows === 0) return Number.NaN;
  const p = probabilities(scores, options.from ?? 'logits');
  const count = new Float64Array(bins);
  const correct = new Float64Array(bins);
  const confidence = new Float64Array(bins);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let conf = p[i * cols]!;
    for (let j = 1; j < cols; j++) {
      const v = p[i * cols + j]!;
      if (v > conf) {
        conf = v;
        best = j;
      }
    }
    // Bin m (0-based) holds confidences in (m/M, (m+1)/M]; a confidence of exactly 0 goes to bin 0.
    const bin = Math.min(bins - 1, Math.max(0, Math.ceil(conf * bins) - 1));
    count[bin]! += 1;
    confidence[bin]! += conf;
    if (best === labels[i]) correct[bin]! += 1;
  }
  let ece = 0;
  for (let m = 0; m < bins; m++) {
    const n = count[m]!;
    if (n > 0) ece += (n / rows) * Math.abs(correct[m]! / n - confidence[m]! / n);
  }
  return ece;
}

/** The headline numbers of a classifier on a labelled set. */
export interface Evaluation {
  /** Top-1 accuracy in [0, 1]. */
  accuracy: number;
  /** Mean negative log-likelihood (cross-entropy), natural log. */
  nll: number;
  /** Expected calibration error with 15 bins (or `bins`). */
  ece: number;
  /** Number of rows scored. */
  samples: number;
}

/**
 * Accuracy, NLL and ECE of `[N, C]` scores against labels, in one call.
 *
 * @example
 * const { accuracy, nll, ece } = evaluate(await model.predict(x), labels);
 */
export function evaluate(scores: Tensor<'float32'>, labels: Int32Array, options: EceOptions = {}): Evaluation {
  return {
    accuracy: accuracy(scores, labels),
    nll: negativeLogLikelihood(scores, labels, options),
    ece: expectedCalibrationError(scores, labels, options),
    samples: matrixShape(scores).rows,
  };
}
