import { Tensor } from '@shrinkray/tensor-core';
import { fitMultinomialLogistic } from '../fit/logistic.js';
import { accuracyOf, logSoftmaxRows, nllOf } from '../math.js';
import type { OnnxNodeSpec } from '../onnx/fragment.js';
import { bestMember, checkLogits, fragmentOpset, linearPool, memberScores, requireValidation, scalar, shrinkTowardBest } from './common.js';
import type { AggregatorPlugin, FittedAggregator } from './types.js';

/** Member log-probabilities below this are clamped to it before the meta-model reads them. */
export const stackingFeatureFloor = -30;

/** The stacking meta-model's features: each member's clamped log-probabilities, side by side. */
export function stackingFeatures(logits: readonly Tensor<'float32'>[], rows: number, cols: number): Float64Array {
  const n = logits.length;
  const dims = n * cols;
  const features = new Float64Array(rows * dims);
  for (const [i, t] of logits.entries()) {
    const lp = logSoftmaxRows(t);
    for (let k = 0; k < rows; k++) {
      for (let j = 0; j < cols; j++) features[k * dims + i * cols + j] = Math.max(stackingFeatureFloor, lp[k * cols + j]!);
    }
  }
  return features;
}

function predictLogistic(features: Float64Array, rows: number, dims: number, cols: number, W: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(rows * cols);
  const z = new Float64Array(cols);
  for (let k = 0; k < rows; k++) {
    z.set(b);
    for (let d = 0; d < dims; d++) {
      const v = features[k * dims + d]!;
      for (let c = 0; c < cols; c++) z[c] = z[c]! + v * W[d * cols + c]!;
    }
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < cols; c++) if (z[c]! > max) max = z[c]!;
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(z[c]! - max);
    for (let c = 0; c < cols; c++) out[k * cols + c] = Math.exp(z[c]! - max) / sum;
  }
  return out;
}

/** Identity blocks: the meta-model reproduces a weighted sum of member log-probabilities. */
function blockInit(n: number, cols: number, blockWeights: readonly number[]): Float64Array {
  const dims = n * cols;
  const W = new Float64Array(dims * cols);
  for (let i = 0; i < n; i++) for (let j = 0; j < cols; j++) W[(i * cols + j) * cols + j] = blockWeights[i]!;
  return W;
}

function fittedStacking(n: number, cols: number, W: Float64Array, b: Float64Array, extra: Record<string, unknown>, notes: readonly string[]): FittedAggregator {
  const dims = n * cols;
  return {
    name: 'stacking',
    weights: null,
    notes,
    combine(logits) {
      const { rows } = checkLogits(logits, n, cols);
      const features = stackingFeatures(logits, rows, cols);
      return new Tensor('float32', [rows, cols], Float32Array.from(predictLogistic(features, rows, dims, cols, W, b)));
    },
    toOnnx(io) {
      const nodes: OnnxNodeSpec[] = [];
      const logs: string[] = [];
      for (const [i, input] of io.memberLogits.entries()) {
        nodes.push({ opType: 'LogSoftmax', name: `${io.prefix}logsoftmax${i}`, inputs: [input], outputs: [`${io.prefix}lp${i}`], attributes: { axis: { type: 'int', value: 1 } } });
        logs.push(`${io.prefix}lp${i}`);
      }
      nodes.push({ opType: 'Concat', name: `${io.prefix}concat`, inputs: logs, outputs: [`${io.prefix}features_raw`], attributes: { axis: { type: 'int', value: 1 } } });
      nodes.push({ opType: 'Max', name: `${io.prefix}clamp`, inputs: [`${io.prefix}features_raw`, `${io.prefix}floor`], outputs: [`${io.prefix}features`] });
      nodes.push({ opType: 'MatMul', name: `${io.prefix}matmul`, inputs: [`${io.prefix}features`, `${io.prefix}W`], outputs: [`${io.prefix}xw`] });
      nodes.push({ opType: 'Add', name: `${io.prefix}add`, inputs: [`${io.prefix}xw`, `${io.prefix}b`], outputs: [`${io.prefix}z`] });
      nodes.push({ opType: 'Softmax', name: `${io.prefix}softmax`, inputs: [`${io.prefix}z`], outputs: [io.output], attributes: { axis: { type: 'int', value: 1 } } });
      return {
        nodes,
        initializers: [
          scalar(`${io.prefix}floor`, stackingFeatureFloor),
          { name: `${io.prefix}W`, tensor: new Tensor('float32', [dims, cols], Float32Array.from(W)) },
          { name: `${io.prefix}b`, tensor: new Tensor('float32', [cols], Float32Array.from(b)) },
        ],
        minOpset: fragmentOpset,
      };
    },
    toJSON() {
      return { name: 'stacking', metaModel: 'multinomial logistic regression', features: `${n}×${cols} member log-probabilities`, notes, ...extra };
    },
  };
}

/**
 * `stacking`: a multinomial logistic regression meta-model, `y = softmax(F·W + b)`, where `F` is the
 * members' log-probabilities side by side (`n·C` features, clamped at −30). It is fitted on the
 * validation outputs with L-BFGS, starting from (and L2-regularised towards) the better of two
 * meta-models that reproduce a known combination: the best member alone, or the geometric mean. Every
 * step lowers the objective, so the fit is never worse than that start. If the result is less accurate
 * than the best member on the validation split, its parameters are blended towards "that member
 * alone" just far enough to match it; if that is not enough (or the log-loss ends above the member's),
 * the member is used alone. Either is said in `notes`.
 *
 * Options: `l2` (default 1e-3), `maxIterations` (default 300).
 */
export const stackingAggregator: AggregatorPlugin = {
  name: 'stacking',
  description: 'multinomial logistic regression meta-model on the members’ validation log-probabilities',
  requiresValidation: true,
  fit: (input) => {
    const validation = requireValidation('stacking', input);
    const n = input.numMembers;
    const cols = input.numClasses;
    const rows = validation.labels.length;
    const dims = n * cols;
    const l2 = typeof input.options?.['l2'] === 'number' ? input.options['l2'] : 1e-3;
    const maxIterations = typeof input.options?.['maxIterations'] === 'number' ? input.options['maxIterations'] : 300;
    const features = stackingFeatures(validation.logits, rows, cols);
    const scores = memberScores(validation);
    const best = bestMember(scores);
    const bias = new Float64Array(cols);
    const candidates = [
      { label: `member ${best} alone`, W: blockInit(n, cols, scores.map((_, i) => (i === best ? 1 : 0))) },
      { label: 'geometric mean', W: blockInit(n, cols, new Array<number>(n).fill(1 / n)) },
    ].map((c) => ({ ...c, nll: nllOf(predictLogistic(features, rows, dims, cols, c.W, bias), rows, cols, validation.labels) }));
    const start = candidates[0]!.nll <= candidates[1]!.nll ? candidates[0]! : candidates[1]!;
    const fitted = fitMultinomialLogistic(features, validation.labels, dims, cols, {
      init: { W: start.W, b: bias },
      l2,
      maxIterations,
      onIteration: (iteration, loss) => input.onProgress?.({ aggregator: 'stacking', iteration, maxIterations, loss }),
    });
    const bestScore = scores[best]!;
    // Blend the fitted parameters towards "member `best` alone" only as far as needed to keep its
    // validation accuracy (log-loss is convex in the parameters, so the blend stays below the start's).
    const bestW = candidates[0]!.W;
    const blendW = (t: number) => (t === 0 ? fitted.W : fitted.W.map((w, i) => (1 - t) * w + t * bestW[i]!));
    const blendB = (t: number) => (t === 0 ? fitted.b : fitted.b.map((v) => (1 - t) * v));
    const { t } = shrinkTowardBest((u) => accuracyOf(predictLogistic(features, rows, dims, cols, blendW(u), blendB(u)), rows, cols, validation.labels), bestScore.accuracy);
    const W = blendW(t);
    const b = blendB(t);
    const p = predictLogistic(features, rows, dims, cols, W, b);
    const accuracy = accuracyOf(p, rows, cols, validation.labels);
    const nll = nllOf(p, rows, cols, validation.labels);
    const extra = { l2, start: start.label, iterations: fitted.iterations, shrink: t, validationAccuracy: accuracy, validationNll: nll, bestMember: best, bestMemberValidation: bestScore };
    if (t === 1 || accuracy < bestScore.accuracy || nll > bestScore.nll) {
      const onlyBest = new Array<number>(n).fill(0);
      onlyBest[best] = 1;
      const note = `the stacking meta-model did not beat member ${best} (${input.memberNames[best] ?? best}) on the validation split (accuracy ${accuracy.toFixed(4)} vs ${bestScore.accuracy.toFixed(4)}, NLL ${nll.toFixed(4)} vs ${bestScore.nll.toFixed(4)}); using that member alone`;
      return linearPool('stacking', onlyBest, cols, [note], { ...extra, fallback: true });
    }
    const notes = t > 0 ? [`meta-model blended ${Math.round(t * 100)}% towards member ${best} (${input.memberNames[best] ?? best}) to stay at least as accurate as it on the validation split`] : [];
    return fittedStacking(n, cols, W, b, extra, notes);
  },
};
