import {
  adaptInput,
  argmax,
  ConfigError,
  checkDatasetOption,
  checkModelFitsData,
  cloneModel,
  type Dataset,
  type EarlyStoppingOptions,
  evaluate,
  formatShape,
  initBackend,
  isDataset,
  labelledIndices,
  latestExtraState,
  listCheckpoints,
  type OptimizerConfig,
  predictBatched,
  stratifiedSplit,
  Tensor,
  TfjsModel,
  type TrainEvent,
  type TrainHistory,
  type tfl,
  train,
  UNLABELLED,
} from '@shrinkray/tensor-core';
import { trainAlone } from './baseline.js';
import { DistillDataError } from './errors/distill-data-error.js';
import { TeacherStudentMismatchError } from './errors/teacher-student-mismatch-error.js';
import { type LossRegistry, lossRegistry } from './losses/registry.js';
import type { DistillLoss, LossSettings } from './losses/types.js';
import { buildStudent, countParams } from './student/spec.js';
import { type ResolvedTeacher, resolveTeacher, type TeacherSource } from './teachers/teacher.js';

/** Default temperature τ. */
export const DEFAULT_TEMPERATURE = 4;
/** Default α of the `hinton` loss. */
export const DEFAULT_ALPHA = 0.7;
/** Default λ of the `additive` loss. */
export const DEFAULT_LAMBDA = 1;
/** Default share of the training split held out for early stopping when no validation split is given. */
export const DEFAULT_VALIDATION_FRACTION = 0.1;

/** The name of the teacher-logit cache inside the training checkpoints. */
const TEACHER_LOGITS_STATE = 'teacher-logits';

/** The splits distillation reads (what `openData` returns). */
export interface DistillData {
  /** Training examples; examples labelled `UNLABELLED` (-1) form a transfer set (soft targets only). */
  train: Dataset;
  /** Scored after every epoch; needed by `earlyStopping` (else carved from `train`). */
  validation?: Dataset;
  /** Where teacher, student (and baseline) accuracy and agreement are measured. */
  test?: Dataset;
}

/** Options of {@link distill}. */
export interface DistillOptions {
  /** The teacher: a Model, a tfjs LayersModel, a path (`model.json`, `.onnx`, `.npy`), `{ logits }` or `{ ensemble }`. */
  teacher: TeacherSource;
  /** The student: a tfjs LayersModel (trained in place) or a spec such as `mlp:512,512` or `cnn:16,32/64`. */
  student: tfl.LayersModel | string;
  data: DistillData;
  /**
   * Keep labels for only this many training examples (class-balanced, chosen with `seed`); the others
   * become the transfer set. Default: every label is kept.
   */
  labelled?: number;
  /** With `earlyStopping` and no `data.validation`: the share of `train` held out (stratified, seeded). Default 0.1. */
  validationFraction?: number;
  /**
   * Also train the same student alone (same initial weights, optimizer, epochs, batch) on the labelled
   * examples: the report then has `baseline` and `gapClosed`.
   */
  baseline?: boolean;
  /** A registered loss name (`hinton`, `additive`, `hint`, or a plugin's) or a loss object. Default `hinton`, or `additive` when only `lambda` is given. */
  loss?: string | DistillLoss;
  /** Loss-specific options, e.g. `{ teacherLayer, studentLayer, hintEpochs }` for `hint`. */
  lossOptions?: Record<string, unknown>;
  /** Where loss names are looked up; default the package's registry. */
  registry?: LossRegistry;
  /** τ > 0; default 4. */
  temperature?: number;
  /** α in [0, 1] for `hinton`-style losses; default 0.7. */
  alpha?: number;
  /** λ >= 0 for the `additive` loss; default 1. */
  lambda?: number;
  /** Default `{ name: 'adam', learningRate: 1e-3 }`. */
  optimizer?: OptimizerConfig;
  epochs: number;
  /** Default 128. */
  batchSize?: number;
  /** Seed of the student's initial weights (spec students), the splits, the shuffles and dropout. Default 0. */
  seed?: number;
  earlyStopping?: EarlyStoppingOptions;
  /** A checkpoint after every epoch: weights, optimizer and the cached teacher logits, in one file. */
  checkpointDir?: string;
  /** Continue from the newest checkpoint in `checkpointDir` (the teacher is not run again). */
  resume?: boolean;
  /** Rows per teacher `predict` call while caching logits. Default 512. */
  teacherBatchSize?: number;
  /** Input shape (without batch) for a spec student; default the data's example shape. */
  inputShape?: readonly number[];
  /** Text student specs (`text-bag:…`, `text-cnn:…`, `text-transformer:…`): the student tokenizer's vocabulary size and pad id. */
  studentTokenizer?: { vocabSize: number; padId: number };
  onEvent?: (event: DistillEvent) => void;
  signal?: AbortSignal;
}

/** Progress of {@link distill}, as a tagged union. */
export type DistillEvent =
  | { type: 'teacher-logits'; teacher: string; done: number; total: number; cached: boolean }
  | { type: 'stage'; stage: 'hint' | 'distill' | 'baseline' }
  | { type: 'train'; stage: 'hint' | 'distill' | 'baseline'; event: TrainEvent }
  | { type: 'evaluate'; what: 'teacher' | 'student' }
  | { type: 'done'; report: DistillReport };

/** One side of the report. */
export interface ModelSummary {
  name: string;
  /** Test accuracy in [0, 1]; `null` without test data (or a logits teacher without test logits). */
  accuracy: number | null;
  /** Parameter count; `null` when unknown (ONNX and logits teachers). */
  params: number | null;
  /** Size in bytes: float32 weights for tfjs models, the file for ONNX; `null` when unknown. */
  bytes: number | null;
}

/** What {@link distill} reports. */
export interface DistillReport {
  teacher: ModelSummary;
  /** The student's parameters and bytes are always known. */
  student: ModelSummary & { params: number; bytes: number };
  /** The student trained alone (`baseline: true`), else `null`. */
  baseline: { accuracy: number | null; samplesPerSecond: number; history: TrainHistory } | null;
  /** Share of the teacher–baseline accuracy gap the distilled student closes, `(student − baseline) / (teacher − baseline)`; `null` when unknown. */
  gapClosed: number | null;
  /** Share of test examples where the student's top class equals the teacher's; `null` when either is missing. */
  agreement: number | null;
  loss: string;
  temperature: number;
  /** The weight the loss used: `alpha` for hinton-style losses, `lambda` for `additive`. */
  weight: { name: 'alpha' | 'lambda' | 'none'; value: number };
  /** Labelled and unlabelled (transfer) training examples, validation and test examples. */
  rows: { labelled: number; unlabelled: number; validation: number; test: number };
  /** The tfjs backend that trained the student. */
  backend: string;
  /** Student training rows per second (optimizer steps only). */
  samplesPerSecond: number;
  /** Seconds spent computing (or reading) teacher logits. */
  teacherSeconds: number;
  /** Epochs actually run (fewer than asked when early stopping fired). */
  epochs: number;
  history: TrainHistory;
}

/** What {@link distill} returns: the trained student (the given model, or the one built from the spec) and the report. */
export interface DistillResult {
  model: tfl.LayersModel;
  report: DistillReport;
}

function perExample(shape: readonly (number | string | null)[]): number | undefined {
  let n = 1;
  for (const d of shape.slice(1)) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

function checkSplit(value: unknown, option: string, classes: number, teacher: string, labelled: boolean): Dataset | undefined {
  if (value === undefined) return undefined;
  const ds = checkDatasetOption(value, option);
  if (labelled && !ds.labelled) throw new ConfigError(option, `${ds.name} has unlabelled examples; ${option} must be labelled`);
  if (labelledIndices(ds).length > 0) checkModelFitsData({ name: `teacher ${teacher}`, numClasses: classes }, ds);
  return ds;
}

function finiteNumber(value: number, option: string, check: (v: number) => boolean, expected: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) throw new ConfigError(option, `must be ${expected}, got ${value}`);
  return value;
}

/** Resolved loss and its settings; throws `ConfigError` for bad τ, α, λ. */
function planLoss(options: DistillOptions, numClasses: number): { loss: DistillLoss; settings: LossSettings } {
  const registry = options.registry ?? lossRegistry;
  const name = options.loss ?? (options.lambda !== undefined && options.alpha === undefined ? 'additive' : 'hinton');
  const loss = typeof name === 'string' ? registry.get(name) : name;
  const temperature = finiteNumber(options.temperature ?? DEFAULT_TEMPERATURE, 'temperature', (v) => v > 0, 'a positive number (τ > 0)');
  const alpha = finiteNumber(options.alpha ?? DEFAULT_ALPHA, 'alpha', (v) => v >= 0 && v <= 1, 'in [0, 1]');
  const lambda = finiteNumber(options.lambda ?? DEFAULT_LAMBDA, 'lambda', (v) => v >= 0, 'a non-negative number');
  if (loss.weight === 'lambda' && options.alpha !== undefined) throw new ConfigError('alpha', `the '${loss.name}' loss is weighted by lambda, not alpha`);
  if (loss.weight === 'alpha' && options.lambda !== undefined) throw new ConfigError('lambda', `the '${loss.name}' loss is weighted by alpha, not lambda (use loss 'additive' for lambda)`);
  return { loss, settings: { temperature, alpha, lambda, numClasses } };
}

function studentModel(options: DistillOptions, exampleShape: readonly number[], numClasses: number, seed: number): tfl.LayersModel {
  const { student } = options;
  if (typeof student === 'string') {
    const inputShape = options.inputShape ?? exampleShape;
    return buildStudent(student, { inputShape, numClasses, seed, ...(options.studentTokenizer ? { text: options.studentTokenizer } : {}) });
  }
  if (!student || typeof (student as tfl.LayersModel).apply !== 'function') throw new ConfigError('student', 'must be a tfjs LayersModel or a spec such as mlp:64 or cnn:16,32/64');
  return student;
}

function checkCompatible(teacher: ResolvedTeacher, student: TfjsModel, data: Dataset): void {
  const x = new Tensor('float32', [1, ...data.exampleShape], new Float32Array(data.exampleShape.reduce((a, b) => a * b, 1)));
  if (teacher.numClasses !== student.numClasses) {
    throw new TeacherStudentMismatchError({ what: 'classes', expectedFrom: `teacher ${teacher.name}`, expected: String(teacher.numClasses), foundIn: `student ${student.name}`, found: String(student.numClasses) });
  }
  if (teacher.inputShape) {
    const t = perExample(teacher.inputShape);
    const s = perExample(student.inputShape);
    if (t !== undefined && s !== undefined && t !== s) {
      throw new TeacherStudentMismatchError({
        what: 'input shapes',
        expectedFrom: `teacher ${teacher.name}`,
        expected: `${formatShape(teacher.inputShape)} (${t} values per example)`,
        foundIn: `student ${student.name}`,
        found: `${formatShape(student.inputShape)} (${s} values per example)`,
      });
    }
    adaptInput(x, teacher.inputShape, `${data.name} for teacher ${teacher.name}`);
  }
  adaptInput(x, student.inputShape, `${data.name} for student ${student.name}`);
}

function agreementOf(a: Tensor<'float32'>, b: Tensor<'float32'>): number {
  const pa = argmax(a);
  const pb = argmax(b);
  let same = 0;
  for (let i = 0; i < pa.length; i++) if (pa[i] === pb[i]) same++;
  return same / pa.length;
}

function teacherSize(teacher: ResolvedTeacher): { params: number | null; bytes: number | null } {
  if (teacher.layersModel) {
    const params = countParams(teacher.layersModel);
    return { params, bytes: params * 4 };
  }
  const bytes = (teacher.model as { bytes?: unknown } | undefined)?.bytes;
  return { params: null, bytes: typeof bytes === 'number' ? bytes : null };
}


/** The rows of `t` at `indices`. */
function pickRows(t: Tensor<'float32'>, indices: Int32Array): Tensor<'float32'> {
  const row = t.shape[1]!;
  const out = new Float32Array(indices.length * row);
  for (let i = 0; i < indices.length; i++) out.set(t.data.subarray(indices[i]! * row, (indices[i]! + 1) * row), i * row);
  return new Tensor('float32', [indices.length, row], out);
}

/**
 * The teacher's logits for every example of `data`: from the newest checkpoint on resume (the
 * cache lives in the same atomic file as the weights), else computed in batches.
 */
async function teacherLogits(teacher: ResolvedTeacher, data: Dataset, options: DistillOptions, emit: (e: DistillEvent) => void): Promise<Tensor<'float32'>> {
  const rows = data.size;
  if (options.resume && options.checkpointDir) {
    const saved = (await latestExtraState(options.checkpointDir, TEACHER_LOGITS_STATE))?.arrays[0];
    if (saved && saved.shape[0] === rows && saved.shape[1] === teacher.numClasses && saved.data instanceof Float32Array) {
      emit({ type: 'teacher-logits', teacher: teacher.name, done: rows, total: rows, cached: true });
      return new Tensor('float32', saved.shape, saved.data);
    }
  }
  const logits = await teacher.trainLogits(data, {
    batchSize: options.teacherBatchSize ?? 512,
    onBatch: (done, total) => emit({ type: 'teacher-logits', teacher: teacher.name, done, total, cached: false }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (logits.shape[0] !== rows || logits.shape[1] !== teacher.numClasses) {
    throw new DistillDataError('teacher logits', `expected [${rows}, ${teacher.numClasses}], found ${formatShape(logits.shape)}`);
  }
  for (let i = 0; i < logits.size; i++) {
    if (!Number.isFinite(logits.data[i]!)) throw new DistillDataError('teacher logits', `value ${logits.data[i]} at row ${Math.floor(i / teacher.numClasses)} is not finite`);
  }
  return logits;
}

/** The training view, validation split and the training view's positions in `data.train`. */
function splits(options: DistillOptions, seed: number): { train: Dataset; validation: Dataset | undefined; rows: Int32Array | undefined } {
  const full = options.data.train;
  let train = full;
  let validation = options.data.validation;
  let rows: Int32Array | undefined;
  if (options.earlyStopping && !validation) {
    const fraction = options.validationFraction ?? DEFAULT_VALIDATION_FRACTION;
    if (!(fraction > 0 && fraction < 1)) throw new ConfigError('validationFraction', `must be in (0, 1), got ${fraction}`);
    const carved = stratifiedSplit(full, fraction, seed, [`${full.name} (training part)`, `${full.name} (validation part)`]);
    train = carved.first;
    validation = carved.second;
    rows = carved.firstIndices;
  }
  if (options.labelled !== undefined) {
    const keep = options.labelled;
    if (!Number.isInteger(keep) || keep < 1) throw new ConfigError('labelled', `must be a positive integer, got ${keep}`);
    if (keep < train.size) {
      const { secondIndices } = stratifiedSplit(train, keep / train.size, seed);
      const labels = new Int32Array(train.size).fill(UNLABELLED);
      for (const i of secondIndices) labels[i] = train.labels[i]!;
      train = train.withLabels(labels, `${train.name} (${secondIndices.length} labelled)`);
    }
  }
  return { train, validation, rows };
}

/**
 * Knowledge distillation: trains a small tfjs student to match a teacher's softened outputs (and the
 * true labels), on the tensor-core training loop.
 *
 * 1. Everything is validated first (typed errors, no training yet): τ > 0, α in [0, 1], λ >= 0,
 *    non-empty data, labels within the teacher's classes, teacher and student with the same class
 *    count and input size.
 * 2. The splits: `validationFraction` of `train` is held out when early stopping needs a validation
 *    split and none is given; with `labelled`, only that many training examples keep their label.
 * 3. The teacher's logits for every training example are computed once, in batches (through ONNX
 *    Runtime for `.onnx` teachers), and cached inside the training checkpoints; an epoch costs only
 *    the student.
 * 4. A loss with a `prepare` stage (e.g. `hint`) runs it; then the student trains with the loss.
 * 5. With `data.test` the report compares teacher and student accuracy and their agreement; with
 *    `baseline` the same student is also trained alone and the report says how much of the gap
 *    distillation closes.
 *
 * Training examples labelled `UNLABELLED` (-1) train on the soft targets only.
 *
 * @example
 * const data = await openData('mnist');
 * const { model, report } = await distill({
 *   teacher: 'teacher.onnx', student: 'mlp:128', data,
 *   temperature: 4, alpha: 0.7, epochs: 5, batchSize: 128, seed: 1,
 * });
 * console.log(report.teacher.accuracy, report.student.accuracy);
 */
export async function distill(options: DistillOptions): Promise<DistillResult> {
  const emit = (event: DistillEvent): void => options.onEvent?.(event);
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'distill needs an options object');
  if (!Number.isInteger(options.epochs) || options.epochs < 1) throw new ConfigError('epochs', `must be a positive integer, got ${options.epochs}`);
  const batchSize = options.batchSize ?? 128;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError('batchSize', `must be a positive integer, got ${batchSize}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ConfigError('seed', `must be an integer, got ${seed}`);
  if (!isDataset(options.data?.train)) throw new ConfigError('data.train', 'must be a Dataset (openData(...).train or Dataset.fromArrays(x, y))');
  if (options.resume && !options.checkpointDir) throw new ConfigError('resume', 'needs checkpointDir');
  const optimizer = options.optimizer ?? { name: 'adam', learningRate: 1e-3 };
  const { loss, settings } = planLoss(options, 0);

  await initBackend();
  const teacher = await resolveTeacher(options.teacher);
  try {
    const classes = teacher.numClasses;
    settings.numClasses = classes;
    const full = checkSplit(options.data.train, 'data.train', classes, teacher.name, false)!;
    checkSplit(options.data.validation, 'data.validation', classes, teacher.name, true);
    const test = checkSplit(options.data.test, 'data.test', classes, teacher.name, true);
    const { train: trainData, validation, rows } = splits(options, seed);
    const labelled = labelledIndices(trainData).length;
    const student = studentModel(options, full.exampleShape, classes, seed);
    const wrapped = new TfjsModel(student, typeof options.student === 'string' ? options.student : student.name);
    checkCompatible(teacher, wrapped, full);
    // The baseline starts from the very weights the distilled student starts from.
    const baselineStudent = options.baseline ? (typeof options.student === 'string' ? options.student : await cloneModel(student)) : undefined;

    const t0 = performance.now();
    const fullLogits = await teacherLogits(teacher, full, options, emit);
    const logits = rows ? pickRows(fullLogits, rows) : fullLogits;
    const teacherSeconds = (performance.now() - t0) / 1000;

    const resuming = Boolean(options.resume && options.checkpointDir && (await listCheckpoints(options.checkpointDir)).length > 0);
    if (loss.prepare && !resuming) {
      emit({ type: 'stage', stage: 'hint' });
      await loss.prepare({
        teacher: { name: teacher.name, ...(teacher.model ? { model: teacher.model } : {}), ...(teacher.layersModel ? { layersModel: teacher.layersModel } : {}) },
        student,
        data: trainData,
        options: options.lossOptions ?? {},
        batchSize,
        seed,
        epochs: options.epochs,
        optimizer,
        onEvent: (event) => emit({ type: 'train', stage: 'hint', event }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    }

    emit({ type: 'stage', stage: 'distill' });
    const cache = { name: 'logits', dtype: 'float32' as const, shape: [...fullLogits.shape], data: fullLogits.data };
    const { history } = await train({
      model: student,
      data: trainData,
      targets: { teacher: logits },
      loss: loss.create(settings),
      optimizer,
      epochs: options.epochs,
      batchSize,
      seed,
      ...(validation ? { validation } : {}),
      ...(options.earlyStopping ? { earlyStopping: options.earlyStopping } : {}),
      ...(options.checkpointDir ? { checkpointDir: options.checkpointDir } : {}),
      ...(options.resume ? { resume: options.resume } : {}),
      extraState: { [TEACHER_LOGITS_STATE]: { save: () => ({ arrays: [cache] }), restore: () => {} } },
      onEvent: (event) => emit({ type: 'train', stage: 'distill', event }),
      ...(options.signal ? { signal: options.signal } : {}),
    });

    let teacherAccuracy: number | null = null;
    let studentAccuracy: number | null = null;
    let agreement: number | null = null;
    if (test) {
      emit({ type: 'evaluate', what: 'teacher' });
      const tLogits = await teacher.testLogits(test, { batchSize: options.teacherBatchSize ?? 512, ...(options.signal ? { signal: options.signal } : {}) });
      emit({ type: 'evaluate', what: 'student' });
      const sLogits = await predictBatched(wrapped, test, options.signal ? { signal: options.signal } : {});
      studentAccuracy = evaluate(sLogits, test.labels).accuracy;
      if (tLogits) {
        teacherAccuracy = evaluate(tLogits, test.labels).accuracy;
        agreement = agreementOf(tLogits, sLogits);
      }
    }

    let baseline: DistillReport['baseline'] = null;
    if (baselineStudent !== undefined) {
      emit({ type: 'stage', stage: 'baseline' });
      const alone = await trainAlone({
        student: baselineStudent,
        data: labelled === trainData.size ? trainData : trainData.subset(labelledIndices(trainData)),
        ...(validation ? { validation } : {}),
        ...(test ? { test } : {}),
        optimizer,
        epochs: history.epochs.length,
        batchSize,
        seed,
        ...(options.inputShape ? { inputShape: options.inputShape } : {}),
        onEvent: (event) => emit({ type: 'train', stage: 'baseline', event }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      alone.student.dispose();
      baseline = { accuracy: alone.accuracy, samplesPerSecond: alone.history.samplesPerSecond, history: alone.history };
    }
    const b = baseline?.accuracy ?? null;
    const gapClosed = b !== null && teacherAccuracy !== null && studentAccuracy !== null && teacherAccuracy !== b ? (studentAccuracy - b) / (teacherAccuracy - b) : null;

    const params = countParams(student);
    const report: DistillReport = {
      teacher: { name: teacher.name, accuracy: teacherAccuracy, ...teacherSize(teacher) },
      student: { name: wrapped.name, accuracy: studentAccuracy, params, bytes: params * 4 },
      baseline,
      gapClosed,
      agreement,
      loss: loss.name,
      temperature: settings.temperature,
      weight: { name: loss.weight, value: loss.weight === 'lambda' ? settings.lambda : loss.weight === 'alpha' ? settings.alpha : 0 },
      rows: { labelled, unlabelled: trainData.size - labelled, validation: validation?.size ?? 0, test: test?.size ?? 0 },
      backend: history.backend,
      samplesPerSecond: history.samplesPerSecond,
      teacherSeconds,
      epochs: history.epochs.length,
      history,
    };
    emit({ type: 'done', report });
    return { model: student, report };
  } finally {
    await teacher.dispose();
  }
}
