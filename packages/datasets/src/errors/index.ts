export { DatasetFormatError } from './dataset-format-error.js';
export { DatasetNotFoundError } from './dataset-not-found-error.js';
