export { train, mixSeed } from './train.js';
export { sparseCrossEntropy } from './losses.js';
export { createOptimizer } from './optimizer.js';
export { checkpointFileName, listCheckpoints, loadLatestCheckpoint, type CheckpointState, type EarlyStoppingState, type NamedArray } from './checkpoint.js';
export type {
  EarlyStoppingOptions,
  EpochMetrics,
  LossArgs,
  LossFn,
  OptimizerConfig,
  StepInfo,
  TrainData,
  TrainEvent,
  TrainHistory,
  TrainOptions,
  TrainResult,
} from './types.js';
