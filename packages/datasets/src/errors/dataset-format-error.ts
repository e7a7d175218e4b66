import { ShrinkrayError } from '@shrinkray/tensor-core';

/**
 * A dataset file is not what its format says it should be (wrong magic number, unknown data type,
 * truncated, extra bytes, a header claiming an absurd size, mismatched image/label counts…).
 * Names the file, what was expected and what was found.
 */
export class DatasetFormatError extends ShrinkrayError<'DATASET_FORMAT'> {
  readonly file: string;
  readonly expected: string;
  readonly found: string;

  constructor(args: { file: string; expected: string; found: string; cause?: unknown }) {
    super('DATASET_FORMAT', `${args.file}: expected ${args.expected}, found ${args.found}`, { cause: args.cause });
    this.file = args.file;
    this.expected = args.expected;
    this.found = args.found;
  }

  static override isInstance(error: unknown): error is DatasetFormatError {
    return ShrinkrayError.isInstance(error) && error.code === 'DATASET_FORMAT';
  }
}
