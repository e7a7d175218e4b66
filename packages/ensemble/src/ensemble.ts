import type { Model, Tensor } from '@shrinkray/tensor-core';
import { aggregators as defaultRegistry } from './aggregators/builtins.js';
import type { AggregatorRegistry } from './aggregators/registry.js';
import type { AggregatorPlugin, FitProgress, FittedAggregator, LabelledOutputs } from './aggregators/types.js';
import { type EnsembleEvaluation, evaluateEnsemble } from './evaluate.js';
import { checkMembers, type MemberSignature } from './members.js';

/** Progress of `createEnsemble` and `Ensemble` methods: a tagged union. */
export type EnsembleProgress =
  | { readonly type: 'predict'; readonly member: string; readonly index: number; readonly members: number }
  | ({ readonly type: 'fit' } & FitProgress)
  | { readonly type: 'done'; readonly aggregator: string };

/** Options of `createEnsemble`. */
export interface EnsembleOptions {
  /** A registered aggregator name or a plugin object; `'mean'` by default. */
  readonly aggregator?: string | AggregatorPlugin;
  /** User weights, one per member (for `weighted`). */
  readonly weights?: readonly number[];
  /**
   * A validation split the members did not train on, for aggregators that fit (`accuracy-weighted`,
   * `optimized`, `stacking`). The members are run on it.
   */
  readonly validation?: { readonly x: Tensor<'float32'>; readonly y: Int32Array };
  /** Precomputed member outputs on a validation split (used instead of running the members on `validation`). */
  readonly validationOutputs?: LabelledOutputs;
  readonly seed?: number;
  /** Aggregator-specific options, e.g. `{ l2: 1e-3 }` for stacking. */
  readonly aggregatorOptions?: Readonly<Record<string, unknown>>;
  /** Where aggregator names are looked up; the shared `aggregators` registry by default. */
  readonly registry?: AggregatorRegistry;
  readonly onProgress?: (event: EnsembleProgress) => void;
}

/**
 * Members plus a fitted aggregator. `predict` runs every member (concurrently) through its own
 * runtime (tfjs or ORT) and combines their logits; `serveEnsemble` serves the same combination
 * through ONNX Runtime.
 */
export class Ensemble {
  readonly members: readonly Model[];
  readonly aggregator: FittedAggregator;
  readonly signature: MemberSignature;
  private readonly onProgress: ((event: EnsembleProgress) => void) | undefined;

  constructor(members: readonly Model[], aggregator: FittedAggregator, onProgress?: (event: EnsembleProgress) => void) {
    this.signature = checkMembers(members);
    this.members = members;
    this.aggregator = aggregator;
    this.onProgress = onProgress;
  }

  get memberNames(): string[] {
    return this.members.map((m) => m.name);
  }

  get numClasses(): number {
    return this.signature.numClasses;
  }

  /** Every member's logits `[N, C]` on `x`, in member order (members run concurrently). */
  async predictMembers(x: Tensor<'float32'>): Promise<Tensor<'float32'>[]> {
    return predictMembers(this.members, x, this.onProgress);
  }

  /** Ensemble probabilities `[N, C]` on `x`. */
  async predict(x: Tensor<'float32'>): Promise<Tensor<'float32'>> {
    return this.aggregator.combine(await this.predictMembers(x));
  }

  /** Accuracy, NLL, ECE of every member and the ensemble on `(x, y)`, and pairwise disagreement. */
  async evaluate(x: Tensor<'float32'>, y: Int32Array): Promise<EnsembleEvaluation> {
    const memberLogits = await this.predictMembers(x);
    return evaluateEnsemble({ memberLogits, memberNames: this.memberNames, probabilities: this.aggregator.combine(memberLogits), labels: y });
  }

  /** Disposes every member. */
  async dispose(): Promise<void> {
    await Promise.all(this.members.map((m) => m.dispose()));
  }
}

async function predictMembers(members: readonly Model[], x: Tensor<'float32'>, onProgress?: (event: EnsembleProgress) => void): Promise<Tensor<'float32'>[]> {
  return Promise.all(
    members.map(async (m, index) => {
      const logits = await m.predict(x);
      onProgress?.({ type: 'predict', member: m.name, index, members: members.length });
      return logits;
    }),
  );
}

/**
 * Checks the members agree (input shape, class count), fits the aggregator - on the validation split
 * if it needs one - and returns the ensemble.
 *
 * @example
 * const ensemble = await createEnsemble([a, b, c], { aggregator: 'stacking', validation: { x, y } });
 * const probabilities = await ensemble.predict(testX);
 */
export async function createEnsemble(members: readonly Model[], options: EnsembleOptions = {}): Promise<Ensemble> {
  const signature = checkMembers(members);
  const registry = options.registry ?? defaultRegistry;
  const plugin = typeof options.aggregator === 'object' ? options.aggregator : registry.get(options.aggregator ?? 'mean');
  let validation = options.validationOutputs;
  if (!validation && plugin.requiresValidation && options.validation) {
    validation = { logits: await predictMembers(members, options.validation.x, options.onProgress), labels: options.validation.y };
  }
  const onProgress = options.onProgress;
  const fitted = await plugin.fit({
    numMembers: members.length,
    numClasses: signature.numClasses,
    memberNames: members.map((m) => m.name),
    seed: options.seed ?? 0,
    ...(options.weights ? { weights: options.weights } : {}),
    ...(validation ? { validation } : {}),
    ...(options.aggregatorOptions ? { options: options.aggregatorOptions } : {}),
    ...(onProgress ? { onProgress: (event: FitProgress) => onProgress({ type: 'fit', ...event }) } : {}),
  });
  onProgress?.({ type: 'done', aggregator: fitted.name });
  return new Ensemble(members, fitted, onProgress);
}
