import { ShrinkrayError } from '@shrinkray/tensor-core';

/** A target sparsity outside `[0, 1)`. Names the layer (`null` for the shared target) and the value given. */
export class InvalidSparsityError extends ShrinkrayError<'INVALID_SPARSITY'> {
  readonly layer: string | null;
  readonly sparsity: number;

  constructor(layer: string | null, sparsity: number) {
    super('INVALID_SPARSITY', `${layer === null ? 'target' : `layer ${layer}`}: sparsity must be in [0, 1), got ${sparsity}`);
    this.layer = layer;
    this.sparsity = sparsity;
  }

  static override isInstance(error: unknown): error is InvalidSparsityError {
    return ShrinkrayError.isInstance(error) && error.code === 'INVALID_SPARSITY';
  }
}
