import { ShrinkrayError } from '@shrinkray/tensor-core';

/** An aggregator name is not registered. Lists the registered names. */
export class UnknownAggregatorError extends ShrinkrayError {
  readonly aggregator: string;
  readonly registered: readonly string[];

  constructor(aggregator: string, registered: readonly string[]) {
    super('UNKNOWN_AGGREGATOR', `unknown aggregator "${aggregator}"; registered: ${registered.join(', ')}`);
    this.aggregator = aggregator;
    this.registered = registered;
  }

  static override isInstance(error: unknown): error is UnknownAggregatorError {
    return ShrinkrayError.isInstance(error) && error.code === 'UNKNOWN_AGGREGATOR';
  }
}
