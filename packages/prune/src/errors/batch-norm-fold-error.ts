import { ShrinkrayError } from '@shrinkray/tensor-core';

/** An inserted BatchNormalization cannot be folded back into its convolution. Names both layers. */
export class BatchNormFoldError extends ShrinkrayError<'BATCH_NORM_FOLD'> {
  readonly layer: string;
  readonly batchNorm: string;

  constructor(layer: string, batchNorm: string, reason: string) {
    super('BATCH_NORM_FOLD', `cannot fold BatchNormalization ${batchNorm} into layer ${layer}: ${reason}`);
    this.layer = layer;
    this.batchNorm = batchNorm;
  }

  static override isInstance(error: unknown): error is BatchNormFoldError {
    return ShrinkrayError.isInstance(error) && error.code === 'BATCH_NORM_FOLD';
  }
}
