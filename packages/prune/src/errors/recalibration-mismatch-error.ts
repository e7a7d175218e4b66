import { ShrinkrayError } from '@shrinkray/tensor-core';

/** A pruned layer cannot be matched with its dense original for recalibration. Names the layer. */
export class RecalibrationMismatchError extends ShrinkrayError<'RECALIBRATION_MISMATCH'> {
  readonly layer: string;

  constructor(layer: string, reason: string) {
    super('RECALIBRATION_MISMATCH', `cannot recalibrate layer ${layer}: ${reason}`);
    this.layer = layer;
  }

  static override isInstance(error: unknown): error is RecalibrationMismatchError {
    return ShrinkrayError.isInstance(error) && error.code === 'RECALIBRATION_MISMATCH';
  }
}
