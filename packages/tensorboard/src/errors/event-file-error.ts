import { ShrinkrayError } from '@shrinkray/tensor-core';

/**
 * A TensorBoard event file cannot be created or written (the log directory is a file, not writable,
 * the disk is full, or the writer was closed). Names the path and what was being done.
 */
export class EventFileError extends ShrinkrayError<'EVENT_FILE'> {
  /** The log directory or event file concerned. */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('EVENT_FILE', `${path}: ${message}`, options);
    this.path = path;
  }

  static override isInstance(error: unknown): error is EventFileError {
    return ShrinkrayError.isInstance(error) && error.code === 'EVENT_FILE';
  }
}
