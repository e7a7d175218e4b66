export { createProgram, run } from './program.js';
export { registerModelFormat, openModel, type ModelFormat } from './models.js';
