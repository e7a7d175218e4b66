import { builtinExporters } from './export/builtins.js';
import { textExporters } from './export/text-builtins.js';
import { layerExporters } from './export/export-tfjs.js';
import { builtinImporters } from './import/builtins.js';
import { textImporters } from './import/text-builtins.js';
import { opImporters } from './import/import-onnx.js';

/**
 * Registers onnx-io's built-in layer exporters and op importers in the shared registries (names
 * already taken, e.g. by a second installed copy, stay as they are). The package entry point calls
 * this on import; `@shrinkray/onnx-io/base` does not.
 */
export function registerOnnxIoBuiltins(): void {
  layerExporters.registerBuiltins([...builtinExporters, ...textExporters], (e) => e.className);
  opImporters.registerBuiltins([...builtinImporters, ...textImporters], (i) => i.opType);
}
