export { importOnnx, opImporters, patternImporters, type ImportOptions } from './import-onnx.js';
export { builtinImporters } from './builtins.js';
export type { ImportContext, ImportValue, OpImporter, PatternImporter } from './types.js';
