import { dataFormats } from './formats.js';
import { idxFormats } from './formats-builtin.js';
import { fileFormats } from './formats/index.js';

/** Registers the built-in data formats (idempotent: the same objects register once). */
export function registerBuiltinDataFormats(): void {
  for (const format of [...idxFormats, ...fileFormats]) dataFormats.register(format);
}
registerBuiltinDataFormats();
