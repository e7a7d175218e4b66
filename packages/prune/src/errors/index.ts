import type { BatchNormFoldError } from './batch-norm-fold-error.js';
import type { InvalidSparsityError } from './invalid-sparsity-error.js';
import type { LayerEmptiedError } from './layer-emptied-error.js';
import type { RecalibrationMismatchError } from './recalibration-mismatch-error.js';
import type { UnprunableStructureError } from './unprunable-structure-error.js';

export { BatchNormFoldError } from './batch-norm-fold-error.js';
export { InvalidSparsityError } from './invalid-sparsity-error.js';
export { LayerEmptiedError } from './layer-emptied-error.js';
export { RecalibrationMismatchError } from './recalibration-mismatch-error.js';
export { UnprunableStructureError } from './unprunable-structure-error.js';

/** Every `code` the errors of this package can carry (a string-literal union). */
export type PruneErrorCode = BatchNormFoldError['code'] | InvalidSparsityError['code'] | LayerEmptiedError['code'] | RecalibrationMismatchError['code'] | UnprunableStructureError['code'];
