import { AggregatorConflictError } from '../errors/aggregator-conflict-error.js';
import { UnknownAggregatorError } from '../errors/unknown-aggregator-error.js';
import type { AggregatorPlugin } from './types.js';

/**
 * A registry of aggregators keyed by name. Registering the same plugin object twice is a no-op;
 * registering a different plugin under a taken name throws `AggregatorConflictError`; `get` of an
 * unknown name throws `UnknownAggregatorError` listing the registered names.
 */
export class AggregatorRegistry {
  private readonly plugins = new Map<string, AggregatorPlugin>();

  register(plugin: AggregatorPlugin): void {
    const existing = this.plugins.get(plugin.name);
    if (existing === plugin) return;
    if (existing) throw new AggregatorConflictError(plugin.name);
    this.plugins.set(plugin.name, plugin);
  }

  get(name: string): AggregatorPlugin {
    const plugin = this.plugins.get(name);
    if (!plugin) throw new UnknownAggregatorError(name, this.list());
    return plugin;
  }

  has(name: string): boolean {
    return this.plugins.has(name);
  }

  /** Registered names, in registration order. */
  list(): string[] {
    return [...this.plugins.keys()];
  }
}
