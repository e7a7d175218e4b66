import { RegistryError } from './errors/registry-error.js';

/**
 * A typed registry of plugins keyed by name (tfjs layer class, ONNX op type). Registering the same
 * plugin object again is a no-op; registering a different one under a taken key throws. Lookups of
 * unknown keys throw an error listing what is registered.
 */
export class Registry<T> {
  readonly kind: string;
  private readonly items = new Map<string, T>();

  constructor(kind: string) {
    this.kind = kind;
  }

  register(key: string, item: T): void {
    const existing = this.items.get(key);
    if (existing !== undefined && existing !== item) {
      throw new RegistryError({ registry: this.kind, key, message: 'a different plugin is already registered under this name' });
    }
    this.items.set(key, item);
  }

  get(key: string): T {
    const item = this.items.get(key);
    if (item === undefined) throw new RegistryError({ registry: this.kind, key, message: `not registered; registered: ${this.list().join(', ')}` });
    return item;
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  /** Registered keys, sorted. */
  list(): string[] {
    return [...this.items.keys()].sort();
  }
}
