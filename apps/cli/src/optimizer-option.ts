import type { OptimizerConfig } from '@shrinkray/tensor-core';
import { UsageError } from './io.js';

/** The `--optimizer` names the CLI accepts (tensor-core's `OptimizerConfig` names). */
export const OPTIMIZER_NAMES: readonly OptimizerConfig['name'][] = ['adam', 'adamw', 'sgd', 'momentum', 'rmsprop'];

/** The raw `--optimizer`, `--learning-rate` and `--weight-decay` values. */
export interface OptimizerCliOptions {
  optimizer: string;
  learningRate: string;
  weightDecay?: string;
}

/**
 * The optimizer the options name, checked before any data is read.
 *
 * @throws UsageError naming the option and the accepted values.
 */
export function optimizerFromOptions(options: OptimizerCliOptions): OptimizerConfig {
  const name = OPTIMIZER_NAMES.find((n) => n === options.optimizer);
  if (name === undefined) throw new UsageError(`--optimizer ${options.optimizer}: expected one of ${OPTIMIZER_NAMES.join(', ')}`);
  const learningRate = Number(options.learningRate);
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new UsageError(`--learning-rate ${options.learningRate}: expected a number > 0`);
  if (options.weightDecay === undefined) return { name, learningRate };
  if (name !== 'adamw') throw new UsageError(`--weight-decay applies to --optimizer adamw only (got --optimizer ${name})`);
  const weightDecay = Number(options.weightDecay);
  if (!(weightDecay >= 0 && weightDecay < 1)) throw new UsageError(`--weight-decay ${options.weightDecay}: expected a number in [0, 1)`);
  return { name, learningRate, weightDecay };
}
