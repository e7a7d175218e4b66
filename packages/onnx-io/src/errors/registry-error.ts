import { ShrinkrayError } from '@shrinkray/tensor-core';

/** A registry lookup or registration failed: names the registry, the key and what is registered. */
export class RegistryError extends ShrinkrayError {
  readonly registry: string;
  readonly key: string;

  constructor(args: { registry: string; key: string; message: string }) {
    super('REGISTRY', `${args.registry} '${args.key}': ${args.message}`);
    this.registry = args.registry;
    this.key = args.key;
  }

  static override isInstance(error: unknown): error is RegistryError {
    return ShrinkrayError.isInstance(error) && error.code === 'REGISTRY';
  }
}
