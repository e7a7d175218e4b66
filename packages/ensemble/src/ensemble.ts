import { ConfigError, checkModelFitsData, type Dataset, type ExampleDType, type Model, predictEach, type Tensor } from '@shrinkray/tensor-core';
import { aggregators as defaultRegistry } from './aggregators/builtins.js';
import type { AggregatorRegistry } from './aggregators/registry.js';
import type { AggregatorPlugin, FitProgress, FittedAggregator, LabelledOutputs } from './aggregators/types.js';
import type { EnsembleEvent } from './driver.js';
import { type EnsembleEvaluation, evaluateEnsemble } from './evaluate.js';
import { EnsembleServingError } from './errors/serving-error.js';
import { checkMembers, type MemberSignature } from './members.js';

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
  readonly validation?: Dataset;
  /** Precomputed member outputs on a validation split (used instead of running the members on `validation`). */
  readonly validationOutputs?: LabelledOutputs;
  readonly seed?: number;
  /** Aggregator-specific options, e.g. `{ l2: 1e-3 }` for stacking. */
  readonly aggregatorOptions?: Readonly<Record<string, unknown>>;
  /** Where aggregator names are looked up; the shared `aggregators` registry by default. */
  readonly registry?: AggregatorRegistry;
  /**
   * Text members: `true` for a member that reads token ids of its own tokenizer (fit it from
   * `validationOutputs`). Such an ensemble scores and reports, but takes no one shared input:
   * `predict` and `serveEnsemble` refuse it.
   */
  readonly ownIds?: readonly boolean[];
  readonly onEvent?: (event: EnsembleEvent) => void;
  readonly signal?: AbortSignal;
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
  /** Per member: `true` when it reads token ids of its own tokenizer rather than the shared input. */
  readonly ownIds: readonly boolean[];

  constructor(members: readonly Model[], aggregator: FittedAggregator, options: { ownIds?: readonly boolean[] } = {}) {
    this.ownIds = members.map((_, i) => options.ownIds?.[i] === true);
    this.signature = checkMembers(members, { ownIds: this.ownIds });
    this.members = members;
    this.aggregator = aggregator;
  }

  /**
   * Throws `EnsembleServingError` when a member reads token ids of its own: the ensemble then has no
   * one input to run on (`what`: the operation refused).
   */
  requireSharedInput(what: string): void {
    checkSharedInput(this.members, this.ownIds, what);
  }

  get memberNames(): string[] {
    return this.members.map((m) => m.name);
  }

  get numClasses(): number {
    return this.signature.numClasses;
  }

  /** Every member's logits `[N, C]` on `x` (float32 features, or int32 token ids for text members), in member order (members run concurrently). */
  async predictMembers(x: Tensor<ExampleDType>): Promise<Tensor<'float32'>[]> {
    this.requireSharedInput('predict');
    return Promise.all(this.members.map((m) => m.predict(x)));
  }

  /** Ensemble probabilities `[N, C]` on `x`. */
  async predict(x: Tensor<ExampleDType>): Promise<Tensor<'float32'>> {
    return this.aggregator.combine(await this.predictMembers(x));
  }

  /**
   * Accuracy, NLL, ECE of every member and the ensemble on a labelled dataset (read a batch at a time
   * with tensor-core's `predictEach`), and pairwise disagreement.
   *
   * @throws DataError when the data's classes differ in number from the members'.
   */
  async evaluate(data: Dataset, options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<EnsembleEvaluation> {
    this.requireSharedInput('evaluate');
    checkModelFitsData(this.members[0]!, data);
    const memberLogits = await predictEach(this.members, data, options);
    return evaluateEnsemble({ memberLogits, memberNames: this.memberNames, probabilities: this.aggregator.combine(memberLogits), labels: data.labels });
  }

  /** Disposes every member. */
  async dispose(): Promise<void> {
    await Promise.all(this.members.map((m) => m.dispose()));
  }
}

/**
 * Throws `EnsembleServingError` (`what`: the operation refused) naming the first member that reads
 * token ids of its own: such members take no one shared input to run, fuse or serve them on.
 */
export function checkSharedInput(members: readonly Pick<Model, 'name'>[], ownIds: readonly boolean[], what: string): void {
  const own = ownIds.indexOf(true);
  if (own >= 0) {
    throw new EnsembleServingError(what, `member ${own} (${members[own]!.name}) reads token ids of its own tokenizer; the members take no one shared input (tokenize every member's texts alike to run or serve them as one)`);
  }
}

/**
 * Checks the members agree (input shape, class count), fits the aggregator - on the validation split
 * if it needs one - and returns the ensemble.
 *
 * @example
 * const ensemble = await createEnsemble([a, b, c], { aggregator: 'stacking', validation: splits.validation });
 * const probabilities = await ensemble.predict(testX);
 */
export async function createEnsemble(members: readonly Model[], options: EnsembleOptions = {}): Promise<Ensemble> {
  const ownIds = options.ownIds ?? [];
  const signature = checkMembers(members, { ownIds });
  const registry = options.registry ?? defaultRegistry;
  const plugin = typeof options.aggregator === 'object' ? options.aggregator : registry.get(options.aggregator ?? 'mean');
  let validation = options.validationOutputs;
  const onEvent = options.onEvent;
  if (!validation && plugin.requiresValidation && options.validation) {
    if (ownIds.some(Boolean)) throw new ConfigError('validation', 'members reading token ids of their own are fitted from validationOutputs (each member run on its own ids), not one validation Dataset');
    const data = options.validation;
    checkModelFitsData(members[0]!, data);
    const logits = await predictEach(members, data, {
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (done, total) => onEvent?.({ type: 'predict', split: 'validation', done, total }),
    });
    validation = { logits, labels: data.labels };
  }
  const fitted = await plugin.fit({
    numMembers: members.length,
    numClasses: signature.numClasses,
    memberNames: members.map((m) => m.name),
    seed: options.seed ?? 0,
    ...(options.weights ? { weights: options.weights } : {}),
    ...(validation ? { validation } : {}),
    ...(options.aggregatorOptions ? { options: options.aggregatorOptions } : {}),
    ...(onEvent ? { onProgress: (event: FitProgress) => onEvent({ type: 'fit', ...event }) } : {}),
  });
  return new Ensemble(members, fitted, { ownIds });
}
