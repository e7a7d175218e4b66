import { minimizeLbfgs } from './lbfgs.js';

/** Parameters of a multinomial logistic regression: `p = softmax(x·W + b)`. */
export interface LogisticParameters {
  /** `[D, C]` row-major. */
  readonly W: Float64Array;
  /** `[C]`. */
  readonly b: Float64Array;
}

/** Options of `fitMultinomialLogistic`. */
export interface LogisticFitOptions {
  /** Starting parameters; also the centre of the L2 penalty. Zeros by default. */
  readonly init?: LogisticParameters;
  /** L2 penalty `(l2/2)·‖W − W_init‖²`; 1e-4 by default. */
  readonly l2?: number;
  readonly maxIterations?: number;
  readonly onIteration?: (iteration: number, loss: number) => void;
}

/**
 * Fits `p = softmax(x·W + b)` to labels by minimising mean cross-entropy plus an L2 penalty that pulls
 * `W` towards its starting value, with L-BFGS. Every accepted step lowers the penalised objective, so
 * the fitted cross-entropy is never above the starting point's.
 *
 * @param features `[N, D]` row-major.
 */
export function fitMultinomialLogistic(features: Float64Array, labels: Int32Array, dims: number, classes: number, options: LogisticFitOptions = {}): LogisticParameters & { loss: number; iterations: number } {
  const rows = labels.length;
  const l2 = options.l2 ?? 1e-4;
  const wSize = dims * classes;
  const x0 = new Float64Array(wSize + classes);
  if (options.init) {
    x0.set(options.init.W, 0);
    x0.set(options.init.b, wSize);
  }
  const center = x0.slice(0, wSize);
  const z = new Float64Array(classes);
  const objective = (x: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let total = 0;
    for (let k = 0; k < rows; k++) {
      const fo = k * dims;
      for (let c = 0; c < classes; c++) z[c] = x[wSize + c]!;
      for (let d = 0; d < dims; d++) {
        const v = features[fo + d]!;
        if (v === 0) continue;
        const wo = d * classes;
        for (let c = 0; c < classes; c++) z[c] = z[c]! + v * x[wo + c]!;
      }
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < classes; c++) if (z[c]! > max) max = z[c]!;
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(z[c]! - max);
      const logSum = max + Math.log(sum);
      const y = labels[k]!;
      total += logSum - z[y]!;
      // z becomes the gradient of this row's loss w.r.t. its scores: p − onehot(y), divided by N.
      for (let c = 0; c < classes; c++) z[c] = (Math.exp(z[c]! - logSum) - (c === y ? 1 : 0)) / rows;
      for (let c = 0; c < classes; c++) grad[wSize + c] = grad[wSize + c]! + z[c]!;
      for (let d = 0; d < dims; d++) {
        const v = features[fo + d]!;
        if (v === 0) continue;
        const wo = d * classes;
        for (let c = 0; c < classes; c++) grad[wo + c] = grad[wo + c]! + v * z[c]!;
      }
    }
    let penalty = 0;
    for (let i = 0; i < wSize; i++) {
      const diff = x[i]! - center[i]!;
      penalty += diff * diff;
      grad[i] = grad[i]! + l2 * diff;
    }
    return total / rows + 0.5 * l2 * penalty;
  };
  const result = minimizeLbfgs(objective, x0, {
    maxIterations: options.maxIterations ?? 200,
    ...(options.onIteration ? { onIteration: options.onIteration } : {}),
  });
  return { W: result.x.slice(0, wSize), b: result.x.slice(wSize), loss: result.value, iterations: result.iterations };
}
