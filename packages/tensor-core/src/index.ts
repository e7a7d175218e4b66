export * from './errors/index.js';
export { Tensor, sizeOf, formatShape, type DType, type DataTypeMap, type TypedArrayFor, type AnyTypedArray } from './tensor.js';
export { adaptInput, type DeclaredShape } from './layout.js';
export { TfjsModel, type Model, type OutputKind } from './model.js';
export { Rng } from './random.js';
export { initBackend, activeBackend, defaultBackendLoaders, type BackendName, type BackendLoader, type BackendInfo } from './backend.js';
/** The tfjs-core and tfjs-layers instances shrinkray uses; import these rather than your own copies. */
export * as tf from '@tensorflow/tfjs-core';
export * as tfl from '@tensorflow/tfjs-layers';
export { writeFileAtomic } from './files.js';
export { resolveInside } from './paths.js';
export { loadTfjsModel, saveTfjsModel } from './tfjs-files.js';
export {
  softmax,
  logSoftmax,
  crossEntropyFromLogits,
  klDivergence,
  argmax,
  topK,
  matrixShape,
  checkLabels,
  logitsFromProbabilities,
  MIN_PROBABILITY,
} from './numerics.js';
export {
  accuracy,
  topKAccuracy,
  confusionMatrix,
  negativeLogLikelihood,
  expectedCalibrationError,
  evaluate,
  type ScoreKind,
  type MetricOptions,
  type EceOptions,
  type Evaluation,
} from './metrics.js';
export * from './training/index.js';
export { Registry, type RegistryKind } from './registry.js';
export { applyWasmTrainingKernels, removeWasmTrainingKernels, wasmTrainingKernels, WASM_KERNELS_ENV, type WasmKernelPatchState } from './wasm-kernels/index.js';
export * from './data/index.js';
