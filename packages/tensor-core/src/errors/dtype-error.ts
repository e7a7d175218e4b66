import { ShrinkrayError } from './shrinkray-error.js';

/** A tensor has a data type the receiver cannot take. */
export class DTypeError extends ShrinkrayError<'DTYPE'> {
  readonly tensor: string;
  readonly expected: string;
  readonly found: string;

  constructor(args: { tensor: string; expected: string; found: string }) {
    super('DTYPE', `${args.tensor}: expected dtype ${args.expected}, found ${args.found}`);
    this.tensor = args.tensor;
    this.expected = args.expected;
    this.found = args.found;
  }

  static override isInstance(error: unknown): error is DTypeError {
    return ShrinkrayError.isInstance(error) && error.code === 'DTYPE';
  }
}
