import type { Tensor } from '@shrinkray/tensor-core';
import type { OnnxAggregatorIo, OnnxFragment } from '../onnx/fragment.js';

/** Member outputs on a labelled split, used to fit an aggregator. */
export interface LabelledOutputs {
  /** One `[N, C]` float32 logits tensor per member, in member order. */
  readonly logits: readonly Tensor<'float32'>[];
  /** The true class of each row. */
  readonly labels: Int32Array;
}

/** A progress event of a long fit (e.g. stacking's optimiser). */
export interface FitProgress {
  readonly aggregator: string;
  readonly iteration: number;
  readonly maxIterations: number;
  /** The objective being minimised (log-loss, plus any regulariser). */
  readonly loss: number;
}

/** What an aggregator is fitted from. */
export interface AggregatorFitInput {
  readonly numMembers: number;
  readonly numClasses: number;
  /** Member names, for messages. */
  readonly memberNames: readonly string[];
  /** User weights (one per member), for aggregators that take them. */
  readonly weights?: readonly number[];
  /** Member outputs on a validation split the members did not train on. */
  readonly validation?: LabelledOutputs;
  /** Seed for any randomness. */
  readonly seed: number;
  /** Aggregator-specific options (e.g. `{ l2: 1e-3 }` for stacking). */
  readonly options?: Readonly<Record<string, unknown>>;
  readonly onProgress?: (event: FitProgress) => void;
}

/** A fitted aggregator: maps member logits to ensemble probabilities, in JS and as ONNX nodes. */
export interface FittedAggregator {
  /** The registry name of the aggregator that made it. */
  readonly name: string;
  /**
   * Each member's weight in the combination (summing to 1), or `null` where the combination is not a
   * weighting of members (stacking).
   */
  readonly weights: readonly number[] | null;
  /** Facts worth reporting, e.g. a fallback to the best member. */
  readonly notes: readonly string[];
  /** Member logits (`[N, C]` each, member order) -> ensemble probabilities `[N, C]` (rows sum to 1). */
  combine(logits: readonly Tensor<'float32'>[]): Tensor<'float32'>;
  /** The same computation as ONNX nodes, for the fused graph. Absent if it has no ONNX form. */
  toOnnx?(io: OnnxAggregatorIo): OnnxFragment;
  /** A JSON-serialisable description (name, weights, parameters) for reports. */
  toJSON(): Record<string, unknown>;
}

/**
 * An aggregator plugin: a plain config object registered by name. Plugins call
 * `aggregators.register(plugin)` when imported.
 *
 * @example
 * aggregators.register({
 *   name: 'max', description: 'per-class maximum, renormalised', requiresValidation: false,
 *   fit: ({ numMembers }) => ({ name: 'max', weights: null, notes: [], combine: ..., toJSON: () => ({ name: 'max' }) }),
 * });
 */
export interface AggregatorPlugin {
  readonly name: string;
  /** One line for `--help` and reports. */
  readonly description: string;
  /** True if `fit` needs `validation` (accuracy-weighted, optimized, stacking). */
  readonly requiresValidation: boolean;
  /** True if `fit` needs user `weights` (weighted). */
  readonly requiresWeights?: boolean;
  fit(input: AggregatorFitInput): FittedAggregator | Promise<FittedAggregator>;
}
