import { Registry } from '@shrinkray/tensor-core';
import type { AggregatorPlugin } from './types.js';

/**
 * The aggregator registry: tensor-core's `Registry` of `AggregatorPlugin`s keyed by name. Registering
 * the same plugin object twice is a no-op; a different plugin under a taken name throws `PluginError`
 * (`PLUGIN_CONFLICT`); an unknown name throws `PluginError` (`UNKNOWN_PLUGIN`) listing the registered
 * names.
 */
export type AggregatorRegistry = Registry<AggregatorPlugin>;

/** An empty aggregator registry. */
export function emptyAggregatorRegistry(): AggregatorRegistry {
  return new Registry<AggregatorPlugin>('aggregator');
}
