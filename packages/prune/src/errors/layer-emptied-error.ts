import { ShrinkrayError } from '@shrinkray/tensor-core';

/** Pruning would remove every weight or every unit of a layer. Names the layer and the counts. */
export class LayerEmptiedError extends ShrinkrayError<'LAYER_EMPTIED'> {
  readonly layer: string;
  readonly total: number;

  constructor(layer: string, what: 'weights' | 'units' | 'filters', total: number, sparsity: number) {
    super('LAYER_EMPTIED', `layer ${layer}: sparsity ${sparsity} would prune all ${total} ${what}; at least one must remain`);
    this.layer = layer;
    this.total = total;
  }

  static override isInstance(error: unknown): error is LayerEmptiedError {
    return ShrinkrayError.isInstance(error) && error.code === 'LAYER_EMPTIED';
  }
}
