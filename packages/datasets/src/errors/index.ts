import type { DatasetFormatError } from './dataset-format-error.js';
import type { DatasetNotFoundError } from './dataset-not-found-error.js';

export { DatasetFormatError } from './dataset-format-error.js';
export { DatasetNotFoundError } from './dataset-not-found-error.js';

/** Every `code` the errors of this package can carry (a string-literal union). */
export type DatasetsErrorCode = DatasetFormatError['code'] | DatasetNotFoundError['code'];
