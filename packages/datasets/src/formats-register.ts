import { dataFormats } from './formats.js';
import { idxFormats } from './formats-builtin.js';
import { fileFormats } from './formats/index.js';
import { jsonlTextFormat, textCsvFormat } from './formats/text.js';

/** Registers the built-in data formats (idempotent: the same objects register once). */
export function registerBuiltinDataFormats(): void {
  for (const format of [...idxFormats, ...fileFormats, jsonlTextFormat, textCsvFormat]) dataFormats.register(format);
}
registerBuiltinDataFormats();
