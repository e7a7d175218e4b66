export { createProgram, run } from './program.js';
export { openModel, checkModelPath } from './models.js';
