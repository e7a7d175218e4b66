import { LossRegistryError } from '../errors/loss-registry-error.js';
import { builtinLosses } from './builtins.js';
import type { DistillLoss } from './types.js';

/**
 * Distillation losses by name. Registering the same plugin object twice is a no-op; registering a
 * different plugin under a taken name throws `LossRegistryError`, and so does asking for an unknown
 * name (the message lists the registered names).
 */
export class LossRegistry {
  readonly #losses = new Map<string, DistillLoss>();

  register(loss: DistillLoss): void {
    if (!loss || typeof loss.name !== 'string' || loss.name.length === 0 || typeof loss.create !== 'function') {
      throw new LossRegistryError(String((loss as { name?: unknown } | undefined)?.name), 'a loss plugin needs a non-empty name and a create() function', this.list());
    }
    const taken = this.#losses.get(loss.name);
    if (taken === loss) return;
    if (taken) throw new LossRegistryError(loss.name, 'the name is taken by a different loss plugin; pick another name', this.list());
    this.#losses.set(loss.name, loss);
  }

  get(name: string): DistillLoss {
    const loss = this.#losses.get(name);
    if (!loss) throw new LossRegistryError(name, `unknown; registered losses: ${this.list().join(', ') || '(none)'}`, this.list());
    return loss;
  }

  has(name: string): boolean {
    return this.#losses.has(name);
  }

  /** Registered names, sorted. */
  list(): string[] {
    return [...this.#losses.keys()].sort();
  }
}

/** A new registry; with `builtins` (default true) the built-in losses are registered in it, as plugins are. */
export function createLossRegistry(options: { builtins?: boolean } = {}): LossRegistry {
  const registry = new LossRegistry();
  if (options.builtins !== false) for (const loss of builtinLosses) registry.register(loss);
  return registry;
}

/** The registry `distill` and the CLI use by default, holding the built-ins `hinton`, `additive` and `hint`. */
export const lossRegistry = createLossRegistry();

/** Registers a loss plugin in the default registry. */
export function registerLoss(loss: DistillLoss): void {
  lossRegistry.register(loss);
}

/** The loss registered under `name` in the default registry; throws listing the registered names if none. */
export function getLoss(name: string): DistillLoss {
  return lossRegistry.get(name);
}

/** Names registered in the default registry, sorted. */
export function listLosses(): string[] {
  return lossRegistry.list();
}
