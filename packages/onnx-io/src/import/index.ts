export { importOnnx, opImporters, type ImportOptions } from './import-onnx.js';
export { builtinImporters } from './builtins.js';
export type { ImportContext, ImportValue, OpImporter } from './types.js';
