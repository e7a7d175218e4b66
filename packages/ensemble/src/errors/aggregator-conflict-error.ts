import { ShrinkrayError } from '@shrinkray/tensor-core';

/** A different aggregator is already registered under this name. */
export class AggregatorConflictError extends ShrinkrayError {
  readonly aggregator: string;

  constructor(aggregator: string) {
    super('AGGREGATOR_CONFLICT', `aggregator "${aggregator}" is already registered by a different plugin; pick another name`);
    this.aggregator = aggregator;
  }

  static override isInstance(error: unknown): error is AggregatorConflictError {
    return ShrinkrayError.isInstance(error) && error.code === 'AGGREGATOR_CONFLICT';
  }
}
