import { dataFormats } from './formats.js';
import { idxFormats } from './formats-builtin.js';
import { fileFormats } from './formats/index.js';
import { jsonlTextFormat, textCsvFormat } from './formats/text.js';

/**
 * Registers the built-in data formats in the shared registry (names already taken, e.g. by a second
 * installed copy of the package, stay as they are). The package entry point calls this on import;
 * `@shrinkray/datasets/base` does not.
 */
export function registerBuiltinDataFormats(): void {
  dataFormats.registerBuiltins([...idxFormats, ...fileFormats, jsonlTextFormat, textCsvFormat], (f) => f.name);
}
