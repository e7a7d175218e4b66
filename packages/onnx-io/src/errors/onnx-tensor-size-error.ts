import { ShrinkrayError } from '@shrinkray/tensor-core';
import { OnnxFormatError } from './onnx-format-error.js';

/**
 * A tensor in an ONNX file claims more elements than the file holds or than the configured limit
 * allows. Raised before anything is allocated for it.
 */
export class OnnxTensorSizeError extends OnnxFormatError {
  readonly tensor: string;
  /** Bytes the tensor's shape and type claim (may exceed `Number.MAX_SAFE_INTEGER` precision). */
  readonly claimedBytes: number;
  /** Bytes actually present or allowed. */
  readonly limitBytes: number;

  constructor(args: { file: string; tensor: string; claimedBytes: number; limitBytes: number; detail: string }) {
    super(args.file, `tensor '${args.tensor}' ${args.detail}`, { code: 'ONNX_FORMAT_TENSOR_SIZE' });
    this.tensor = args.tensor;
    this.claimedBytes = args.claimedBytes;
    this.limitBytes = args.limitBytes;
  }

  static override isInstance(error: unknown): error is OnnxTensorSizeError {
    return ShrinkrayError.isInstance(error) && error.code === 'ONNX_FORMAT_TENSOR_SIZE';
  }
}
