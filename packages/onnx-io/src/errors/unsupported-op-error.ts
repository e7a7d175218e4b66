import { ShrinkrayError } from '@shrinkray/tensor-core';

/** An ONNX node cannot be imported to tfjs: names the op, the node and the supported ops. */
export class UnsupportedOpError extends ShrinkrayError<'UNSUPPORTED_OP'> {
  readonly opType: string;
  readonly node: string;
  readonly supported: readonly string[];

  constructor(args: { opType: string; node: string; supported: readonly string[]; detail?: string }) {
    super(
      'UNSUPPORTED_OP',
      `ONNX node '${args.node}' (${args.opType}): ${args.detail ?? 'op not supported'}; supported ops: ${[...args.supported].sort().join(', ')}`,
    );
    this.opType = args.opType;
    this.node = args.node;
    this.supported = args.supported;
  }

  static override isInstance(error: unknown): error is UnsupportedOpError {
    return ShrinkrayError.isInstance(error) && error.code === 'UNSUPPORTED_OP';
  }
}
