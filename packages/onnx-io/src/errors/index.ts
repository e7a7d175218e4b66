export { OnnxFormatError } from './onnx-format-error.js';
export { OnnxTensorSizeError } from './onnx-tensor-size-error.js';
export { UnsupportedOpError } from './unsupported-op-error.js';
export { UnsupportedLayerError } from './unsupported-layer-error.js';
