export { type ExampleDType, type ExampleSource, ArraySource, assertFinite } from './source.js';
export {
  Dataset,
  UNLABELLED,
  checkDatasetLabels,
  checkDatasetOption,
  isDataset,
  stratifiedSplit,
  stratifiedCounts,
  type Batch,
  type BatchOptions,
  type DatasetOptions,
  type DatasetSplits,
} from './dataset.js';
export { predictBatched, predictEach, evaluateModel, checkModelFitsData, labelledIndices, PREDICT_BATCH_SIZE, type PredictOptions } from './predict.js';
