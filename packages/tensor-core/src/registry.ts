import { PluginError } from './errors/plugin-error.js';

/**
 * A typed plugin registry keyed by name: every extensible family in shrinkray (losses, pruning
 * criteria, aggregators, ONNX exporters and importers) is one of these. Built-ins register through
 * the same API a plugin uses. Registering the same object again is a no-op; a different object under a
 * taken name throws `PluginError` (`PLUGIN_CONFLICT`); `get` of an unknown name throws `PluginError`
 * (`UNKNOWN_PLUGIN`) listing the registered names.
 *
 * @example
 * const losses = new Registry<LossPlugin>('distillation loss');
 * losses.register('hinton', hintonLoss);
 * losses.register({ name: 'my-loss', ... }); // a plugin object registers under its own name
 * losses.get('hinton');
 */
export class Registry<T> {
  /** What the registry holds, for messages (e.g. `aggregator`). */
  readonly kind: string;
  private readonly items = new Map<string, T>();

  constructor(kind: string) {
    this.kind = kind;
  }

  /** Registers `item` under `name`, or a named plugin object under its own `name`. Returns the item. */
  register(name: string, item: T): T;
  register(item: T & { readonly name: string }): T;
  register(nameOrItem: string | (T & { readonly name: string }), maybeItem?: T): T {
    const [name, item] = typeof nameOrItem === 'string' ? [nameOrItem, maybeItem as T] : [nameOrItem.name, nameOrItem];
    const existing = this.items.get(name);
    if (existing !== undefined && existing !== item) {
      throw new PluginError({ registry: this.kind, key: name, reason: 'conflict', registered: this.list() });
    }
    this.items.set(name, item);
    return item;
  }

  get(name: string): T {
    const item = this.items.get(name);
    if (item === undefined) throw new PluginError({ registry: this.kind, key: name, reason: 'unknown', registered: this.list() });
    return item;
  }

  has(name: string): boolean {
    return this.items.has(name);
  }

  /** Registered names, in registration order. */
  list(): string[] {
    return [...this.items.keys()];
  }
}
