import { type Evaluation, evaluate, type Tensor } from '@shrinkray/tensor-core';
import { argmaxRows, outputShape } from './math.js';

/** One member's metrics. */
export interface MemberEvaluation extends Evaluation {
  readonly name: string;
}

/** Each member's and the ensemble's metrics, and how often members disagree. */
export interface EnsembleEvaluation {
  readonly members: readonly MemberEvaluation[];
  readonly ensemble: Evaluation;
  /**
   * `[n][n]` pairwise disagreement: the fraction of rows on which members i and j predict different
   * top-1 classes (0 on the diagonal, symmetric).
   */
  readonly disagreement: readonly (readonly number[])[];
  /** Mean of the off-diagonal disagreement entries (0 for a single member). */
  readonly meanDisagreement: number;
}

/** Fraction of rows where two label vectors differ. */
function differ(a: Int32Array, b: Int32Array): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) count++;
  return a.length === 0 ? Number.NaN : count / a.length;
}

/**
 * Scores an ensemble: accuracy, NLL and ECE (tensor-core's `evaluate`, 15 bins) for each member (from
 * its logits) and for the ensemble (from its probabilities), plus pairwise disagreement between the
 * members' top-1 predictions.
 *
 * @example
 * const report = evaluateEnsemble({ memberLogits, memberNames, probabilities, labels });
 * report.ensemble.accuracy; report.meanDisagreement;
 */
export function evaluateEnsemble(args: {
  memberLogits: readonly Tensor<'float32'>[];
  memberNames?: readonly string[];
  probabilities: Tensor<'float32'>;
  labels: Int32Array;
  bins?: number;
}): EnsembleEvaluation {
  const { rows, cols } = outputShape(args.memberLogits, args.memberNames);
  const options = args.bins === undefined ? {} : { bins: args.bins };
  const members = args.memberLogits.map((t, i) => ({ name: args.memberNames?.[i] ?? `member ${i}`, ...evaluate(t, args.labels, options) }));
  const ensemble = evaluate(args.probabilities, args.labels, { ...options, from: 'probabilities' });
  const predictions = args.memberLogits.map((t) => argmaxRows(t.data, rows, cols));
  const n = predictions.length;
  const disagreement = predictions.map(() => new Array<number>(n).fill(0));
  let total = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = differ(predictions[i]!, predictions[j]!);
      disagreement[i]![j] = d;
      disagreement[j]![i] = d;
      total += d;
      pairs++;
    }
  }
  return { members, ensemble, disagreement, meanDisagreement: pairs === 0 ? 0 : total / pairs };
}
