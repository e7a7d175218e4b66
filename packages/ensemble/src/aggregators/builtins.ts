import { Registry } from '@shrinkray/tensor-core';
import { geometricMeanAggregator } from './geometric-mean.js';
import { accuracyWeightedAggregator, meanAggregator, optimizedAggregator, weightedAggregator } from './linear.js';
import { type AggregatorRegistry, emptyAggregatorRegistry } from './registry.js';
import { stackingAggregator } from './stacking.js';
import type { AggregatorPlugin } from './types.js';
import { voteAggregator } from './vote.js';

/** The built-in aggregators, in the order `list()` shows them. */
export const builtinAggregators: readonly AggregatorPlugin[] = [
  meanAggregator,
  weightedAggregator,
  accuracyWeightedAggregator,
  optimizedAggregator,
  voteAggregator,
  geometricMeanAggregator,
  stackingAggregator,
];

/** A registry holding the built-ins (registered through the same `register` a plugin uses). */
export function createAggregatorRegistry(): AggregatorRegistry {
  const registry = emptyAggregatorRegistry();
  for (const plugin of builtinAggregators) registry.register(plugin);
  return registry;
}

/**
 * The shared registry (`Registry.shared('aggregator')`, one per process even with two installed
 * copies of the package): the built-ins, registered by the package entry point, plus whatever
 * plugins register. `--plugin` packages call `aggregators.register(...)` on this object.
 */
export const aggregators: AggregatorRegistry = Registry.shared<AggregatorPlugin>('aggregator', 'aggregator');

/** Registers the built-in aggregators in the shared registry (the entry point does; `/base` does not). */
export function registerEnsembleBuiltins(): void {
  aggregators.registerBuiltins(builtinAggregators, (a) => a.name);
}
