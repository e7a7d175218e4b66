export * from './errors/index.js';
export {
  distill,
  DEFAULT_ALPHA,
  DEFAULT_LAMBDA,
  DEFAULT_TEMPERATURE,
  type DistillEvent,
  type DistillData,
  type DistillReport,
  DEFAULT_VALIDATION_FRACTION,
  type DistillOptions,
  type DistillResult,
  type ModelSummary,
} from './distill.js';
export { trainAlone, type TrainAloneOptions } from './baseline.js';
export { LossRegistry, lossRegistry, createLossRegistry, registerLoss, getLoss, listLosses, registerDistillBuiltins } from './losses/registry.js';
export type { DistillLoss, LossSettings, PrepareContext } from './losses/types.js';
export { softTargetLoss, hardTargetLoss, hintonLoss, additiveLoss } from './losses/kd.js';
export { hintonLossPlugin, additiveLossPlugin, hintLossPlugin, builtinLosses } from './losses/builtins.js';
export {
  resolveTeacher,
  predictLogits,
  averageLogits,
  type TeacherSource,
  type LogitsTeacher,
  type EnsembleTeacher,
  type ResolvedTeacher,
  type LogitsOptions,
} from './teachers/teacher.js';
export { readLogitsFile, writeLogitsFile, decodeLogitsFile, encodeLogitsFile, LOGITS_FILE_FORMAT } from './teachers/logits-file.js';
export { layerFeatures } from './teachers/features.js';
export { parseStudentSpec, buildStudent, countParams, type StudentSpec, type BuildStudentOptions } from './student/spec.js';
export { saveStudent, type SavedStudent } from './save.js';
export { openTextTeacher, textTeacherLogits, textTeacherSource, type TextTeacher, type OpenTextTeacherOptions } from './teachers/text-teacher.js';
export { parseTextStudentSpec, buildTextStudent, TEXT_STUDENT_KINDS, TEXT_CNN_KERNEL, TRANSFORMER_FFN_MULTIPLE, TRANSFORMER_LN_EPSILON, type TextStudentSpec, type BuildTextStudentOptions } from './student/text.js';
