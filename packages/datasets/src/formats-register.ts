import { dataFormats } from './formats.js';
import { idxFormats } from './formats-builtin.js';
import { jsonlTextFormat, textCsvFormat } from './formats/text.js';

/** Registers the built-in data formats (idempotent: the same objects register once). */
export function registerBuiltinDataFormats(): void {
  for (const format of idxFormats) dataFormats.register(format);
  for (const format of [jsonlTextFormat, textCsvFormat]) dataFormats.register(format);
}
registerBuiltinDataFormats();
