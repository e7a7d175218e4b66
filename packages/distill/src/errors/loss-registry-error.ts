import { ShrinkrayError } from '@shrinkray/tensor-core';

/**
 * A loss name is unknown (the message lists the registered ones), or a different loss plugin was
 * registered under a name that is taken.
 */
export class LossRegistryError extends ShrinkrayError {
  readonly lossName: string;
  readonly registered: readonly string[];

  constructor(lossName: string, message: string, registered: readonly string[]) {
    super('LOSS_REGISTRY', `loss '${lossName}': ${message}`);
    this.lossName = lossName;
    this.registered = registered;
  }

  static override isInstance(error: unknown): error is LossRegistryError {
    return ShrinkrayError.isInstance(error) && error.code === 'LOSS_REGISTRY';
  }
}
