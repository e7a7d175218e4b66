import { ShrinkrayError } from '@shrinkray/tensor-core';

/**
 * The model's default-domain opset is older than the quantization format needs, and upgrading it is
 * not safe (an op whose semantics changed on the way). Names the file, the opset found and needed,
 * and the node that blocks the upgrade.
 */
export class OpsetTooOldError extends ShrinkrayError {
  readonly file: string;
  readonly opset: number;
  readonly required: number;
  /** The node whose op changed meaning between `opset` and `required` (null when none is to blame). */
  readonly node: string | null;

  constructor(args: { file: string; opset: number; required: number; node: string | null; detail: string }) {
    super('OPSET_TOO_OLD', `${args.file}: opset ${args.opset} is older than the ${args.required} quantization needs${args.node ? `; node ${args.node}` : ''}: ${args.detail}`);
    this.file = args.file;
    this.opset = args.opset;
    this.required = args.required;
    this.node = args.node;
  }

  static override isInstance(error: unknown): error is OpsetTooOldError {
    return ShrinkrayError.isInstance(error) && error.code === 'OPSET_TOO_OLD';
  }
}
