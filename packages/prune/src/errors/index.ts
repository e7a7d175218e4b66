export { InvalidSparsityError } from './invalid-sparsity-error.js';
export { LayerEmptiedError } from './layer-emptied-error.js';
export { UnprunableStructureError } from './unprunable-structure-error.js';
