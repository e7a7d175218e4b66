export { type CheckpointState, checkpointFileName, type EarlyStoppingState, latestExtraState, listCheckpoints, loadLatestCheckpoint, type NamedArray } from './checkpoint.js';
export { sparseCrossEntropy } from './losses.js';
export { createOptimizer } from './optimizer.js';
export { mixSeed, train } from './train.js';
export type {
  EarlyStoppingOptions,
  EpochMetrics,
  ExtraState,
  ExtraStateSnapshot,
  LossArgs,
  LossFn,
  OptimizerConfig,
  StepInfo,
  TrainEvent,
  TrainHistory,
  TrainOptions,
  TrainResult,
} from './types.js';
