export * from './errors/index.js';
export * from './types.js';
export { loadOnnx, saveOnnx, decodeOnnx, encodeOnnx, validateModel, type LoadOptions } from './io.js';
export {
  tensorFromProto,
  tensorToProto,
  floatsFromProto,
  intsFromProto,
  validateTensorProto,
  dataTypeName,
  bytesPerElement,
  type TensorLimits,
} from './tensor-proto.js';
export { attr, getAttr } from './attributes.js';
export { GraphBuilder, valueInfo, shapeOf, type ElemType, type InitializerData } from './builder.js';
export { prefixRename, extractSubgraph, mergeGraphs, appendNodes, runtimeInputs, type MergeOptions } from './graph-utils.js';
export { inspect, type OnnxSummary, type ValueSummary, type InitializerSummary } from './inspect.js';
export { OnnxModel, type OnnxModelOptions } from './onnx-model.js';
export { benchmark, type BenchOptions, type BenchResult } from './bench.js';
export * from './export/index.js';
export * from './import/index.js';
export { openOnnxModel, isOnnxPath, exportTfjsFile, importOnnxFile, inspectFile } from './files.js';
export { openModel, openLayersModel, modelPath, saveModelFiles, MODEL_FILES, type ModelPath, type ModelPathKind, type SavedModelFiles } from './model-files.js';
export { WorkerSession } from './worker-session.js';
export { inThreadSession, type SessionRunner } from './session-runner.js';
export { directSession } from './direct-session.js';
export { registerOnnxIoBuiltins } from './register.js';
export { isTextGraph, OnnxTextModel, type OnnxTextModelOptions, type TextInput, type TextInputName, textFeeds, textInputs } from './text-model.js';
export { declaredOutputKind, OUTPUT_KIND_METADATA_KEY } from './output-kind.js';
