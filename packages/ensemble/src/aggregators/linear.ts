import { ConfigError } from '@shrinkray/tensor-core';
import { AggregatorFitError } from '../errors/aggregator-fit-error.js';
import { fitSimplexLogLoss } from '../fit/simplex.js';
import { accuracyOf, softmaxRows } from '../math.js';
import { bestMember, linearPool, memberScores, requireValidation, shrinkTowardBest } from './common.js';
import type { AggregatorPlugin } from './types.js';

/**
 * Checks user weights - one per member, finite, non-negative, not all zero - and returns them
 * normalised to sum to 1. Throws `ConfigError` on `weights` naming the offending entry.
 */
export function normalizeWeights(weights: readonly number[], members: number, memberNames?: readonly string[]): number[] {
  if (weights.length !== members) throw new ConfigError('weights', `expected ${members} weights (one per member), found ${weights.length}`);
  let total = 0;
  for (const [i, w] of weights.entries()) {
    const who = memberNames?.[i] ? ` (member ${memberNames[i]})` : '';
    if (!Number.isFinite(w)) throw new ConfigError('weights', `weight ${i}${who} is ${w}; expected a finite number`);
    if (w < 0) throw new ConfigError('weights', `weight ${i}${who} is ${w}; expected a non-negative number`);
    total += w;
  }
  if (total <= 0) throw new ConfigError('weights', 'all weights are zero; at least one must be positive');
  return weights.map((w) => w / total);
}

/** `mean`: y = (1/n)·Σ softmax(zᵢ). */
export const meanAggregator: AggregatorPlugin = {
  name: 'mean',
  description: 'average of the members’ probabilities, y = (1/n)·Σ yᵢ',
  requiresValidation: false,
  fit: ({ numMembers, numClasses }) => linearPool('mean', new Array<number>(numMembers).fill(1 / numMembers), numClasses),
};

/** `weighted`: y = Σ wᵢ·yᵢ with user weights (validated, then normalised to sum to 1). */
export const weightedAggregator: AggregatorPlugin = {
  name: 'weighted',
  description: 'user weights, y = Σ wᵢ·yᵢ (non-negative, normalised to sum to 1)',
  requiresValidation: false,
  requiresWeights: true,
  fit: ({ numMembers, numClasses, weights, memberNames }) => {
    if (!weights) throw new ConfigError('weights', 'the weighted aggregator needs one weight per member (e.g. --weights 1,2,1)');
    return linearPool('weighted', normalizeWeights(weights, numMembers, memberNames), numClasses);
  },
};

/** `accuracy-weighted`: wᵢ = accᵢ / Σ accⱼ with accuracies on the validation split. */
export const accuracyWeightedAggregator: AggregatorPlugin = {
  name: 'accuracy-weighted',
  description: 'wᵢ = accᵢ / Σ accⱼ, accuracies measured on the validation split',
  requiresValidation: true,
  fit: (input) => {
    const validation = requireValidation('accuracy-weighted', input);
    const accuracies = validation.logits.map((t) => accuracyOf(t.data, t.shape[0]!, t.shape[1]!, validation.labels));
    const total = accuracies.reduce((a, b) => a + b, 0);
    if (total <= 0) throw new AggregatorFitError('accuracy-weighted', 'every member has accuracy 0 on the validation split; weights are undefined');
    return linearPool(
      'accuracy-weighted',
      accuracies.map((a) => a / total),
      input.numClasses,
      [],
      { validationAccuracies: accuracies },
    );
  },
};

/**
 * `optimized`: weights on the simplex minimising the pool's log-loss on the validation split
 * (projected gradient descent from the better of the uniform weights and the best member). If the
 * result is less accurate than the best member on that split, the weights are blended towards that
 * member just far enough to match its accuracy (log-loss is convex, so the blend's log-loss stays at or
 * below the member's); if only the member itself qualifies, it is used alone. Either is said in `notes`.
 */
export const optimizedAggregator: AggregatorPlugin = {
  name: 'optimized',
  description: 'simplex weights minimising validation log-loss (never worse than the best member there)',
  requiresValidation: true,
  fit: (input) => {
    const validation = requireValidation('optimized', input);
    const n = input.numMembers;
    const rows = validation.labels.length;
    const cols = input.numClasses;
    const probabilities = validation.logits.map((t) => softmaxRows(t));
    const P = new Float64Array(rows * n);
    for (let k = 0; k < rows; k++) for (let i = 0; i < n; i++) P[k * n + i] = probabilities[i]![k * cols + validation.labels[k]!]!;
    const scores = memberScores(validation);
    const best = bestMember(scores);
    const vertex = new Float64Array(n);
    vertex[best] = 1;
    const maxIterations = typeof input.options?.['maxIterations'] === 'number' ? input.options['maxIterations'] : 500;
    const fromUniform = fitSimplexLogLoss(P, rows, n, { start: new Float64Array(n).fill(1 / n), maxIterations });
    const fromVertex = fitSimplexLogLoss(P, rows, n, {
      start: vertex,
      maxIterations,
      onIteration: (iteration, loss) => input.onProgress?.({ aggregator: 'optimized', iteration, maxIterations, loss }),
    });
    const fitted = fromUniform.loss <= fromVertex.loss ? fromUniform : fromVertex;
    const poolAccuracy = (w: ArrayLike<number>): number => {
      const pool = new Float64Array(rows * cols);
      for (let i = 0; i < n; i++) {
        if (w[i] === 0) continue;
        for (let k = 0; k < pool.length; k++) pool[k] = pool[k]! + w[i]! * probabilities[i]![k]!;
      }
      return accuracyOf(pool, rows, cols, validation.labels);
    };
    const bestScore = scores[best]!;
    // Log-loss is convex in w, so every blend towards the best member's vertex keeps it ≤ that member's.
    const blend = (t: number): number[] => Array.from(fitted.weights, (w, i) => (1 - t) * w + t * vertex[i]!);
    const { t, accuracy } = shrinkTowardBest((s) => poolAccuracy(blend(s)), bestScore.accuracy);
    const weights = blend(t);
    const extra = { validationLoss: fitted.loss, validationAccuracy: accuracy, bestMember: best, bestMemberValidation: bestScore, shrink: t };
    const notes: string[] = [];
    if (t > 0 && t < 1) notes.push(`weights blended ${Math.round(t * 100)}% towards member ${best} (${input.memberNames[best] ?? best}) to stay at least as accurate as it on the validation split`);
    if (accuracy < bestScore.accuracy || t === 1) {
      const onlyBest = new Array<number>(n).fill(0);
      onlyBest[best] = 1;
      const note = `optimized weights were less accurate than member ${best} (${input.memberNames[best] ?? best}) on the validation split; using that member alone`;
      return linearPool('optimized', onlyBest, cols, [note], { ...extra, fallback: true });
    }
    return linearPool('optimized', weights, cols, notes, extra);
  },
};
