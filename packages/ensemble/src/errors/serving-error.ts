import { ShrinkrayError } from '@shrinkray/tensor-core';

/** The ensemble cannot be served as asked (a member has no ONNX form, the aggregator no ONNX nodes…). */
export class EnsembleServingError extends ShrinkrayError<'ENSEMBLE_SERVING'> {
  readonly mode: string;

  constructor(mode: string, message: string, options?: { cause?: unknown }) {
    super('ENSEMBLE_SERVING', `${mode} serving: ${message}`, options);
    this.mode = mode;
  }

  static override isInstance(error: unknown): error is EnsembleServingError {
    return ShrinkrayError.isInstance(error) && error.code === 'ENSEMBLE_SERVING';
  }
}
