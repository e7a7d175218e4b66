import { ShrinkrayError } from '@shrinkray/tensor-core';

/**
 * The data handed to `distill` cannot be trained on: empty, labels out of range, a label array of the
 * wrong length, or teacher logits that do not match the inputs. Names the array and the row.
 */
export class DistillDataError extends ShrinkrayError<'DISTILL_DATA'> {
  /** The offending array, e.g. `data.y` or `transfer.x`. */
  readonly array: string;

  constructor(array: string, message: string) {
    super('DISTILL_DATA', `${array}: ${message}`);
    this.array = array;
  }

  static override isInstance(error: unknown): error is DistillDataError {
    return ShrinkrayError.isInstance(error) && error.code === 'DISTILL_DATA';
  }
}
