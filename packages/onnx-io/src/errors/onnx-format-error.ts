import { ShrinkrayError } from '@shrinkray/tensor-core';

/**
 * A file or byte buffer is not a valid ONNX model, or holds something shrinkray cannot read. Names
 * the file and what was wrong (and, where known, the tensor or node). Subclasses use codes starting
 * with `ONNX_FORMAT`, so `OnnxFormatError.isInstance` matches them too.
 */
export class OnnxFormatError extends ShrinkrayError<'ONNX_FORMAT' | 'ONNX_FORMAT_TENSOR_SIZE'> {
  /** The file (or `<bytes>` for an in-memory buffer). */
  readonly file: string;
  /** What was wrong, without the file name. */
  readonly reason: string;

  constructor(file: string, reason: string, options?: { cause?: unknown; code?: 'ONNX_FORMAT' | 'ONNX_FORMAT_TENSOR_SIZE' }) {
    super(options?.code ?? 'ONNX_FORMAT', `${file}: ${reason}`, options);
    this.file = file;
    this.reason = reason;
  }

  static override isInstance(error: unknown): error is OnnxFormatError {
    return ShrinkrayError.isInstance(error) && error.code.startsWith('ONNX_FORMAT');
  }
}
