import { ShrinkrayError } from '@shrinkray/tensor-core';

/**
 * A dataset's files are not where they were looked for. Names the path and says how to get them.
 */
export class DatasetNotFoundError extends ShrinkrayError<'DATASET_NOT_FOUND'> {
  readonly path: string;
  readonly hint: string;

  constructor(args: { path: string; what: string; hint: string }) {
    super('DATASET_NOT_FOUND', `${args.path}: ${args.what} not found; ${args.hint}`);
    this.path = args.path;
    this.hint = args.hint;
  }

  static override isInstance(error: unknown): error is DatasetNotFoundError {
    return ShrinkrayError.isInstance(error) && error.code === 'DATASET_NOT_FOUND';
  }
}
