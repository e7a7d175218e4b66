import { ShrinkrayError } from '@shrinkray/tensor-core';

/** An aggregator cannot be fitted or used as asked (e.g. it needs a validation split and got none). */
export class AggregatorFitError extends ShrinkrayError<'AGGREGATOR_FIT'> {
  readonly aggregator: string;

  constructor(aggregator: string, message: string) {
    super('AGGREGATOR_FIT', `aggregator "${aggregator}": ${message}`);
    this.aggregator = aggregator;
  }

  static override isInstance(error: unknown): error is AggregatorFitError {
    return ShrinkrayError.isInstance(error) && error.code === 'AGGREGATOR_FIT';
  }
}
