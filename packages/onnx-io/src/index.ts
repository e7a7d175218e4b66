/**
 * `@shrinkray/onnx-io`: everything in `@shrinkray/onnx-io/base`, with the built-in layer exporters
 * and op importers registered in the shared registries on import.
 */
import { registerOnnxIoBuiltins } from './register.js';

export * from './base.js';

registerOnnxIoBuiltins();
