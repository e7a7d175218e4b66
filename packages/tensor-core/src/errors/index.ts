import type { ShapeMismatchError } from './shape-mismatch-error.js';
import type { ConfigError } from './config-error.js';
import type { DTypeError } from './dtype-error.js';
import type { TrainingError } from './training-error.js';
import type { BackendError } from './backend-error.js';
import type { ModelFileError } from './model-file-error.js';
import type { PluginError } from './plugin-error.js';
import type { DataError } from './data-error.js';
import type { PathEscapeError } from './path-escape-error.js';

export { ShrinkrayError } from './shrinkray-error.js';
export { ShapeMismatchError } from './shape-mismatch-error.js';
export { ConfigError } from './config-error.js';
export { DTypeError } from './dtype-error.js';
export { TrainingError } from './training-error.js';
export { BackendError } from './backend-error.js';
export { ModelFileError } from './model-file-error.js';
export { PluginError } from './plugin-error.js';
export { DataError, type DataErrorKind, type DataLocation } from './data-error.js';
export { PathEscapeError, type PathEscapeReason } from './path-escape-error.js';

/** Every `code` the errors of this package can carry (a string-literal union). */
export type TensorCoreErrorCode = ShapeMismatchError['code'] | ConfigError['code'] | DTypeError['code'] | TrainingError['code'] | BackendError['code'] | ModelFileError['code'] | PluginError['code'] | DataError['code'] | PathEscapeError['code'];
