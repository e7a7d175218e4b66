import { ShrinkrayError } from '@shrinkray/tensor-core';

/** A teacher-logits file (`.npy`) is missing or malformed. Names the file, what was expected and what was found. */
export class LogitsFileError extends ShrinkrayError<'LOGITS_FILE'> {
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('LOGITS_FILE', `${file}: ${message}`, options);
    this.file = file;
  }

  static override isInstance(error: unknown): error is LogitsFileError {
    return ShrinkrayError.isInstance(error) && error.code === 'LOGITS_FILE';
  }
}
