import { ConfigError, Registry } from '@shrinkray/tensor-core';
import { builtinLosses } from './builtins.js';
import type { DistillLoss } from './types.js';

/**
 * Distillation losses by name, on tensor-core's plugin `Registry`. Registering the same plugin
 * object twice is a no-op; registering a different plugin under a taken name throws `PluginError`
 * (`PLUGIN_CONFLICT`), and so does asking for an unknown name (`UNKNOWN_PLUGIN`, the message lists
 * the registered names).
 */
export class LossRegistry {
  readonly #losses: Registry<DistillLoss>;

  /** Wraps `registry` (a new, empty one by default). */
  constructor(registry: Registry<DistillLoss> = new Registry<DistillLoss>('distillation loss')) {
    this.#losses = registry;
  }

  register(loss: DistillLoss): DistillLoss {
    if (!loss || typeof loss.name !== 'string' || loss.name.length === 0 || typeof loss.create !== 'function') {
      throw new ConfigError('loss', `a loss plugin needs a non-empty name and a create() function, got ${String((loss as { name?: unknown } | undefined)?.name)}`);
    }
    return this.#losses.register(loss.name, loss);
  }

  /** Registers the built-in losses whose names are still free (see tensor-core `Registry.registerBuiltins`). */
  registerBuiltins(): string[] {
    return this.#losses.registerBuiltins(builtinLosses, (l) => l.name);
  }

  get(name: string): DistillLoss {
    return this.#losses.get(name);
  }

  has(name: string): boolean {
    return this.#losses.has(name);
  }

  /** Registered names, in registration order (built-ins first). */
  list(): string[] {
    return this.#losses.list();
  }
}

/** A new registry; with `builtins` (default true) the built-in losses are registered in it, as plugins are. */
export function createLossRegistry(options: { builtins?: boolean } = {}): LossRegistry {
  const registry = new LossRegistry();
  if (options.builtins !== false) for (const loss of builtinLosses) registry.register(loss);
  return registry;
}

/**
 * The registry `distill` and the CLI use by default, on the process-wide `Registry.shared('loss')` (one
 * per process even with two installed copies of the package). The package entry point registers the
 * built-ins `hinton`, `additive` and `hint` in it; `@shrinkray/distill/base` does not.
 */
export const lossRegistry = new LossRegistry(Registry.shared<DistillLoss>('loss', 'distillation loss'));

/** Registers the built-in losses in the default registry (the entry point does on import). */
export function registerDistillBuiltins(): void {
  lossRegistry.registerBuiltins();
}

/** Registers a loss plugin in the default registry (same object again: no-op; another under a taken name: `PluginError`). */
export function registerLoss(loss: DistillLoss): DistillLoss {
  return lossRegistry.register(loss);
}

/** The loss registered under `name` in the default registry; `PluginError` listing the registered names if none. */
export function getLoss(name: string): DistillLoss {
  return lossRegistry.get(name);
}

/** Names registered in the default registry. */
export function listLosses(): string[] {
  return lossRegistry.list();
}
