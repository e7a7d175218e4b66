export { InvalidSparsityError } from './invalid-sparsity-error.js';
export { LayerEmptiedError } from './layer-emptied-error.js';
export { UnknownPluginError } from './unknown-plugin-error.js';
export { DuplicatePluginError } from './duplicate-plugin-error.js';
export { UnprunableStructureError } from './unprunable-structure-error.js';
