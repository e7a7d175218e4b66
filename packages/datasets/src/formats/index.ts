import type { DataFormat } from '../formats.js';
import { csvFormat } from './csv.js';
import { imagesFormat } from './images.js';
import { npyFormat } from './npy.js';
import { npzFormat } from './npz.js';

/** The file formats a user's own data comes in: `npy:`, `npz:`, `csv:` and `images:`. */
export const fileFormats: readonly DataFormat[] = Object.freeze([npyFormat, npzFormat, csvFormat, imagesFormat]);

export { csvFormat, openCsv, readCsvHeader, readCsvTable } from './csv.js';
export { imagesFormat, openImages } from './images.js';
export { npyFormat, openNpy } from './npy.js';
export { npzFormat, openNpz } from './npz.js';
export { NpyArray, NPY_IN_MEMORY_BYTES, type NpyOpenOptions } from './npy-array.js';
export { parseNpyHeader, type NpyDType, type NpyHeader } from './npy-header.js';
export { imageTarget, type ImageTarget } from './image-geometry.js';
