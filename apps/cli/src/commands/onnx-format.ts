import { OnnxModel } from '@shrinkray/onnx-io';
import { registerModelFormat } from '../models.js';

/** `.onnx` files (PyTorch exports included) open as ONNX Runtime models. */
registerModelFormat({
  extension: '.onnx',
  load: (file) => OnnxModel.create(file),
});
