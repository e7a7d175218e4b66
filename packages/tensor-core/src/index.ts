export * from './errors/index.js';
export { Tensor, sizeOf, formatShape, type DType, type DataTypeMap, type TypedArrayFor, type AnyTypedArray } from './tensor.js';
export { adaptInput, type DeclaredShape } from './layout.js';
export { TfjsModel, type Model, type OutputKind } from './model.js';
export { cloneModel } from './clone.js';
export { Rng } from './random.js';
export { initBackend, activeBackend, defaultBackendLoaders, type BackendName, type BackendLoader, type BackendInfo, type KernelFixes } from './backend.js';
/** The tfjs-core and tfjs-layers instances shrinkray uses; import these rather than your own copies. */
export * as tf from '@tensorflow/tfjs-core';
export * as tfl from '@tensorflow/tfjs-layers';
export { writeFileAtomic, setFileWriteInterceptor, type FileWriteStep } from './files.js';
export { recordFileSteps, killAtFileStep, SimulatedKill } from './kill-testing.js';
export { resolveInside } from './paths.js';
export { loadTfjsModel, saveTfjsModel } from './tfjs-files.js';
export { MaskedMeanPooling1D, type MaskedMeanPooling1DArgs } from './layers/masked-mean-pooling.js';
export { PositionEmbedding, type PositionEmbeddingArgs } from './layers/position-embedding.js';
export { MultiHeadSelfAttention, ATTENTION_MASK_VALUE, ATTENTION_PROJECTIONS, type MultiHeadSelfAttentionArgs } from './layers/multi-head-self-attention.js';
export { registerWasmSegmentSum } from './layers/wasm-segment-sum.js';
export { registerTileGradient } from './layers/tile-gradient.js';
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
  type ScoreKind,
  type MetricOptions,
  type EceOptions,
  type Evaluation,
} from './metrics.js';
export * from './training/index.js';
export { Registry, type RegistryKind } from './registry.js';
export {
  applyWasmTrainingKernels,
  removeWasmTrainingKernels,
  wasmTrainingKernels,
  WASM_KERNELS_ENV,
  ORT_KERNELS_ENV,
  type WasmKernelPatchState,
} from './wasm-kernels/index.js';
export { kernelUsage, resetKernelUsage, ortSessionStats, releaseOrtSessions, type KernelUsage } from './wasm-kernels/ort/runtime.js';
export type { SessionCacheStats } from './wasm-kernels/ort/sessions.js';
export { ORT_THREADS_ENV } from './wasm-kernels/ort/native.js';
export { loadOrtBinding, ortLoadFailure, setOrtModuleLoader, type OrtBinding, type OrtModuleLoader, type OrtNativeSession, type OrtTensorConstructor } from './ort-loader.js';
export { FusedAdamOptimizer, FusedAdamWOptimizer } from './wasm-kernels/fused-adam.js';
export { FusedMomentumOptimizer } from './wasm-kernels/fused-momentum.js';
export * from './data/index.js';
export { evaluate, type EvaluateOptions, type EvaluateReport, type EvaluateEvent, type EvaluateResult } from './data/evaluate.js';
