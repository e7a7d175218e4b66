/** Kept for imports of `./clone.js`: the copy lives in tensor-core (distill needs it too). */
export { cloneModel } from '@shrinkray/tensor-core';
