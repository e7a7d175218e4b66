import { ShrinkrayError } from './shrinkray-error.js';

/** A tensor's shape (or data length) is not what the receiver needs. Names the tensor and both shapes. */
export class ShapeMismatchError extends ShrinkrayError<'SHAPE_MISMATCH'> {
  readonly tensor: string;
  readonly expected: string;
  readonly found: string;

  constructor(args: { tensor: string; expected: string; found: string; detail?: string }) {
    super(
      'SHAPE_MISMATCH',
      `${args.tensor}: expected ${args.expected}, found ${args.found}${args.detail ? ` (${args.detail})` : ''}`,
    );
    this.tensor = args.tensor;
    this.expected = args.expected;
    this.found = args.found;
  }

  static override isInstance(error: unknown): error is ShapeMismatchError {
    return ShrinkrayError.isInstance(error) && error.code === 'SHAPE_MISMATCH';
  }
}
