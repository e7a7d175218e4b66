import { builtinExporters } from './export/builtins.js';
import { textExporters } from './export/text-builtins.js';
import { transformerExporters } from './export/transformer-builtins.js';
import { layerExporters } from './export/export-tfjs.js';
import { builtinImporters } from './import/builtins.js';
import { textImporters } from './import/text-builtins.js';
import { opImporters, patternImporters } from './import/import-onnx.js';
import { transformerImporters, transformerPatterns } from './import/transformer-builtins.js';

/**
 * Registers onnx-io's built-in layer exporters, op importers and pattern importers in the shared registries (names
 * already taken, e.g. by a second installed copy, stay as they are). The package entry point calls
 * this on import; `@shrinkray/onnx-io/base` does not.
 */
export function registerOnnxIoBuiltins(): void {
  layerExporters.registerBuiltins([...builtinExporters, ...textExporters, ...transformerExporters], (e) => e.className);
  opImporters.registerBuiltins([...builtinImporters, ...textImporters, ...transformerImporters], (i) => i.opType);
  patternImporters.registerBuiltins(transformerPatterns, (p) => p.name);
}
