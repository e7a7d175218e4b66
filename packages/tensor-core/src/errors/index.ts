export { ShrinkrayError } from './shrinkray-error.js';
export { ShapeMismatchError } from './shape-mismatch-error.js';
export { ConfigError } from './config-error.js';
export { DTypeError } from './dtype-error.js';
export { TrainingError } from './training-error.js';
export { BackendError } from './backend-error.js';
export { ModelFileError } from './model-file-error.js';
export { PluginError } from './plugin-error.js';
export { DataError, type DataErrorKind, type DataLocation } from './data-error.js';
