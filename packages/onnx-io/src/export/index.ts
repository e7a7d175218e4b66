export { exportTfjs, layerExporters, type ExportOptions } from './export-tfjs.js';
export { builtinExporters, samePads } from './builtins.js';
export type { ExportContext, ExportValue, LayerExporter, LayerWeight, Layout } from './types.js';
export { textExporters } from './text-builtins.js';
export { transformerExporters } from './transformer-builtins.js';
