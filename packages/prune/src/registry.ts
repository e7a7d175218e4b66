import { DuplicatePluginError } from './errors/duplicate-plugin-error.js';
import { UnknownPluginError } from './errors/unknown-plugin-error.js';

/** Anything a registry holds: a plain object with a unique `name`. */
export interface Named {
  readonly name: string;
}

/**
 * A typed registry of plugins keyed by name. Registering the same object twice is a no-op;
 * registering a different object under a taken name throws `DuplicatePluginError`; `get` of an
 * unknown name throws `UnknownPluginError` listing the registered names.
 *
 * @example
 * criteria.register({ name: 'abs-cubed', scoreWeights: ({ weights }) => weights.map((w) => Math.abs(w) ** 3) });
 */
export class Registry<T extends Named> {
  readonly kind: string;
  private readonly items = new Map<string, T>();

  constructor(kind: string) {
    this.kind = kind;
  }

  register(item: T): T {
    const existing = this.items.get(item.name);
    if (existing !== undefined && existing !== item) throw new DuplicatePluginError(this.kind, item.name);
    this.items.set(item.name, item);
    return item;
  }

  get(name: string): T {
    const item = this.items.get(name);
    if (item === undefined) throw new UnknownPluginError(this.kind, name, this.list());
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
