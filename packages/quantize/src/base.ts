export * from './errors/index.js';
export {
  type CalibrationMethod,
  type CalibrationRange,
  type RangeCollector,
  type PercentileOptions,
  type EntropyOptions,
  calibrationMethods,
  builtinCalibrationMethods,
  registerQuantizeBuiltins,
  minmaxCalibration,
  percentileCalibration,
  entropyCalibration,
  percentileThreshold,
  entropyThreshold,
  klDivergence,
} from './calibration/methods.js';
export { AbsHistogram } from './calibration/histogram.js';
export { collectRanges, checkData, type CollectOptions } from './calibration/calibrate.js';
export {
  INT8,
  INT8_SYMMETRIC,
  type QRange,
  type QParams,
  type QuantizedWeight,
  asymmetricParams,
  symmetricParams,
  quantizeValue,
  dequantizeValue,
  quantizeWeight,
  quantizeBias,
  roundHalfEven,
} from './quant-math.js';
export { planStatic, quantizableNodes, type StaticPlan, type PlanOptions, type QuantizedNode, type SkippedNode, type WeightPlan } from './plan.js';
export { applyStatic } from './qdq.js';
export { applyDynamic, type DynamicOptions } from './dynamic.js';
export { applyFp16, toHalf, FLOAT16_MAX, type Fp16Options, type Fp16Result } from './fp16.js';
export { ensureOpset, QDQ_OPSET } from './opset.js';
export { compareThroughput, measureThroughput, fusedGraph, modelBytes, type FusedGraph, type ModelBytes, type ThroughputRow, type ThroughputOptions } from './measure.js';
export { layerSensitivity, relativeError, type LayerSensitivity } from './sensitivity.js';
export { quantize, defaultMode, type QuantizeMode, type QuantizeOptions, type QuantizeReport, type QuantizeResult, type QuantizeEvent } from './quantize.js';
