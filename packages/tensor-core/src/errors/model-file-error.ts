import { ShrinkrayError } from './shrinkray-error.js';

/** A tfjs model file (model.json or its weights) is missing or malformed. Names the file. */
export class ModelFileError extends ShrinkrayError<'MODEL_FILE'> {
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('MODEL_FILE', `${file}: ${message}`, options);
    this.file = file;
  }

  static override isInstance(error: unknown): error is ModelFileError {
    return ShrinkrayError.isInstance(error) && error.code === 'MODEL_FILE';
  }
}
