import type { OnnxFormatError } from './onnx-format-error.js';
import type { OnnxTensorSizeError } from './onnx-tensor-size-error.js';
import type { UnsupportedOpError } from './unsupported-op-error.js';
import type { UnsupportedLayerError } from './unsupported-layer-error.js';

export { OnnxFormatError } from './onnx-format-error.js';
export { OnnxTensorSizeError } from './onnx-tensor-size-error.js';
export { UnsupportedOpError } from './unsupported-op-error.js';
export { UnsupportedLayerError } from './unsupported-layer-error.js';

/** Every `code` the errors of this package can carry (a string-literal union). */
export type OnnxIoErrorCode = OnnxFormatError['code'] | OnnxTensorSizeError['code'] | UnsupportedOpError['code'] | UnsupportedLayerError['code'];
