import { ShrinkrayError } from '@shrinkray/tensor-core';

/**
 * A layer through which removed units cannot be followed (e.g. a residual Add whose inputs were pruned
 * differently, a Reshape of pruned channels, a pruned model output). Names the layer and why.
 */
export class UnprunableStructureError extends ShrinkrayError<'UNPRUNABLE_STRUCTURE'> {
  readonly layer: string;

  constructor(layer: string, reason: string) {
    super('UNPRUNABLE_STRUCTURE', `layer ${layer}: cannot prune structurally: ${reason}`);
    this.layer = layer;
  }

  static override isInstance(error: unknown): error is UnprunableStructureError {
    return ShrinkrayError.isInstance(error) && error.code === 'UNPRUNABLE_STRUCTURE';
  }
}
