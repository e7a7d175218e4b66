import type { EventFileError } from './event-file-error.js';

export { EventFileError } from './event-file-error.js';

/** Every `code` the errors of this package can carry (a string-literal union). */
export type TensorboardErrorCode = EventFileError['code'];
