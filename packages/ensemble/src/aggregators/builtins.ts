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
 * The shared registry: the built-ins plus whatever plugins register. `--plugin` packages call
 * `aggregators.register(...)` on this object.
 */
export const aggregators: AggregatorRegistry = createAggregatorRegistry();
