import { PluginError } from './errors/plugin-error.js';

/** The families of shared registries; `Registry.shared` stores each under `Symbol.for('shrinkray.registry.<kind>')`. */
export type RegistryKind =
  | 'loss'
  | 'criterion'
  | 'schedule'
  | 'mode'
  | 'aggregator'
  | 'op-importer'
  | 'pattern-importer'
  | 'layer-exporter'
  | 'data-format'
  | 'calibration'
  | (string & {});

const allRegistries = Symbol.for('shrinkray.registries');

/** Every shared registry of this process, by kind, in creation order (held on `globalThis`). */
function sharedTable(): Map<string, Registry<unknown>> {
  const g = globalThis as unknown as Record<symbol, Map<string, Registry<unknown>> | undefined>;
  let table = g[allRegistries];
  if (!table) {
    table = new Map();
    g[allRegistries] = table;
  }
  return table;
}

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

  /**
   * The process-wide registry of a family, created on first use and kept on `globalThis` under
   * `Symbol.for('shrinkray.registry.<kind>')`, so two installed copies of a package (or of
   * tensor-core) register into and read from the same registry. `description` names the items in
   * messages (e.g. `pruning criterion`).
   *
   * @example
   * export const criteria = Registry.shared<Criterion>('criterion', 'pruning criterion');
   */
  static shared<T>(kind: RegistryKind, description: string): Registry<T> {
    const key = Symbol.for(`shrinkray.registry.${kind}`);
    const g = globalThis as unknown as Record<symbol, Registry<T> | undefined>;
    let registry = g[key];
    if (!registry) {
      registry = new Registry<T>(description);
      g[key] = registry;
      sharedTable().set(kind, registry as Registry<unknown>);
    }
    return registry;
  }

  /** Every shared registry created so far (by any copy of tensor-core), by kind: for help texts. */
  static allShared(): ReadonlyMap<string, Registry<unknown>> {
    return sharedTable();
  }

  /**
   * Registers a package's built-ins: each item under `keyOf(item)` unless that name is already
   * taken (say, by the same built-in from a second installed copy of the package, or by a plugin
   * that replaced it on purpose before the package loaded). Returns the names registered now.
   */
  registerBuiltins<U extends T>(items: readonly U[], keyOf: (item: U) => string): string[] {
    const added: string[] = [];
    for (const item of items) {
      const name = keyOf(item);
      if (this.items.has(name)) continue;
      this.items.set(name, item);
      added.push(name);
    }
    return added;
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
