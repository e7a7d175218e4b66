import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  accuracy,
  adaptInput,
  argmax,
  ConfigError,
  type EarlyStoppingOptions,
  formatShape,
  initBackend,
  listCheckpoints,
  type OptimizerConfig,
  ShapeMismatchError,
  Tensor,
  TfjsModel,
  type TrainEvent,
  type TrainHistory,
  type tfl,
  train,
} from '@shrinkray/tensor-core';
import { DistillDataError } from './errors/distill-data-error.js';
import { TeacherStudentMismatchError } from './errors/teacher-student-mismatch-error.js';
import { type LossRegistry, lossRegistry } from './losses/registry.js';
import type { DistillLoss, LossSettings } from './losses/types.js';
import { buildStudent, countParams } from './student/spec.js';
import { readLogitsFile, writeLogitsFile } from './teachers/logits-file.js';
import { type ResolvedTeacher, resolveTeacher, type TeacherSource } from './teachers/teacher.js';

/** Labelled rows: inputs batch first (NHWC images or flat vectors) and one label per row (`-1` = no label). */
export interface LabelledData {
  x: Tensor<'float32'>;
  y: Int32Array;
}

/** Default temperature τ. */
export const DEFAULT_TEMPERATURE = 4;
/** Default α of the `hinton` loss. */
export const DEFAULT_ALPHA = 0.7;
/** Default λ of the `additive` loss. */
export const DEFAULT_LAMBDA = 1;

/** Options of {@link distill}. */
export interface DistillOptions {
  /** The teacher: a Model, a tfjs LayersModel, a path (`model.json`, `.onnx`, `.npy`), `{ logits }` or `{ ensemble }`. */
  teacher: TeacherSource;
  /** The student: a tfjs LayersModel (trained in place) or a spec such as `mlp:512,512` or `cnn:16,32/64`. */
  student: tfl.LayersModel | string;
  /** Labelled training rows (`-1` labels allowed: such rows get only the soft-target term). */
  data: LabelledData;
  /** Unlabelled inputs (a transfer set): trained on the teacher's soft targets only. */
  transfer?: { x: Tensor<'float32'> };
  /** Labelled rows scored after every epoch (cross-entropy, accuracy); needed by `earlyStopping`. */
  validation?: LabelledData;
  /** Labelled rows for the summary: teacher vs student accuracy and their agreement. */
  test?: LabelledData;
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
  /** Seed of the student's initial weights (spec students), the shuffles and dropout. Default 0. */
  seed?: number;
  earlyStopping?: EarlyStoppingOptions;
  /** A checkpoint after every epoch (and the cached teacher logits as `teacher-logits.npy`). */
  checkpointDir?: string;
  /** Continue from the newest checkpoint in `checkpointDir`. */
  resume?: boolean;
  /** Rows per teacher `predict` call while caching logits. Default 512. */
  teacherBatchSize?: number;
  /** Input shape (without batch) for a spec student; default the data's. */
  inputShape?: readonly number[];
  /** Text student specs (`text-bag:…`, `text-cnn:…`): the student tokenizer's vocabulary size and pad id. */
  studentTokenizer?: { vocabSize: number; padId: number };
  onEvent?: (event: DistillEvent) => void;
  signal?: AbortSignal;
}

/** Progress of {@link distill}, as a tagged union. */
export type DistillEvent =
  | { type: 'teacher-logits'; teacher: string; done: number; total: number; cached: boolean }
  | { type: 'stage'; stage: 'hint' | 'distill' }
  | { type: 'train'; stage: 'hint' | 'distill'; event: TrainEvent }
  | { type: 'evaluate'; what: 'teacher' | 'student' }
  | { type: 'done'; summary: DistillSummary };

/** One side of the summary. */
export interface ModelSummary {
  name: string;
  /** Test accuracy in [0, 1]; `null` without `test` data (or a logits teacher without test logits). */
  accuracy: number | null;
  /** Parameter count; `null` when unknown (ONNX and logits teachers). */
  params: number | null;
  /** Size in bytes: float32 weights for tfjs models, the file for ONNX; `null` when unknown. */
  bytes: number | null;
}

/** What {@link distill} reports. */
export interface DistillSummary {
  teacher: ModelSummary;
  /** The student's parameters and bytes are always known. */
  student: ModelSummary & { params: number; bytes: number };
  /** Share of test rows where the student's top class equals the teacher's; `null` when either is missing. */
  agreement: number | null;
  loss: string;
  temperature: number;
  /** The weight the loss used: `alpha` for hinton-style losses, `lambda` for `additive`. */
  weight: { name: 'alpha' | 'lambda' | 'none'; value: number };
  /** Labelled and unlabelled (transfer) training rows. */
  rows: { labelled: number; unlabelled: number };
  /** The tfjs backend that trained the student. */
  backend: string;
  /** Student training rows per second (optimizer steps only). */
  samplesPerSecond: number;
  /** Seconds spent computing (or reading) teacher logits. */
  teacherSeconds: number;
  /** Epochs actually run (fewer than asked when early stopping fired). */
  epochs: number;
}

/** What {@link distill} returns. */
export interface DistillResult {
  /** The trained student (the given model, or the one built from the spec). */
  student: tfl.LayersModel;
  history: TrainHistory;
  summary: DistillSummary;
  /** The cached teacher logits `[N, C]` of the training rows (labelled rows, then transfer rows). */
  teacherLogits: Tensor<'float32'>;
}

function perExample(shape: readonly (number | string | null)[]): number | undefined {
  let n = 1;
  for (const d of shape.slice(1)) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

function checkInputs(x: Tensor<'float32'> | undefined, what: string): Tensor<'float32'> {
  if (!x || !(x instanceof Tensor) || x.dtype !== 'float32') throw new DistillDataError(what, `expected a float32 Tensor, found ${x instanceof Tensor ? x.dtype : typeof x}`);
  if (x.rank < 2) throw new DistillDataError(what, `expected batch-first inputs [N, ...], found ${formatShape(x.shape)}`);
  if (x.shape[0] === 0) throw new DistillDataError(what, 'is empty (0 rows)');
  return x;
}

/** Checks labels are in [-1, classes) and returns how many are labelled; `allowUnlabelled` false forbids -1. */
function checkLabelArray(y: Int32Array, rows: number, classes: number, what: string, allowUnlabelled: boolean): number {
  if (!(y instanceof Int32Array)) throw new DistillDataError(what, `expected an Int32Array of labels, found ${(y as object)?.constructor?.name ?? typeof y}`);
  if (y.length !== rows) throw new DistillDataError(what, `has ${y.length} labels for ${rows} rows`);
  let labelled = 0;
  const low = allowUnlabelled ? -1 : 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (v < low || v >= classes) throw new DistillDataError(what, `label ${v} at row ${i} is outside [0, ${classes})${allowUnlabelled ? ' (or -1 for no label)' : ''}`);
    if (v >= 0) labelled++;
  }
  return labelled;
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

function studentModel(options: DistillOptions, numClasses: number, seed: number): tfl.LayersModel {
  const { student } = options;
  if (typeof student === 'string') {
    const inputShape = options.inputShape ?? options.data.x.shape.slice(1);
    return buildStudent(student, { inputShape, numClasses, seed, ...(options.studentTokenizer ? { text: options.studentTokenizer } : {}) });
  }
  if (!student || typeof (student as tfl.LayersModel).apply !== 'function') throw new ConfigError('student', 'must be a tfjs LayersModel or a spec such as mlp:64 or cnn:16,32/64');
  return student;
}

function checkCompatible(teacher: ResolvedTeacher, student: TfjsModel, x: Tensor<'float32'>): void {
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
    adaptInput(x.sliceRows(0, 1), teacher.inputShape, `data.x for teacher ${teacher.name}`);
  }
  adaptInput(x.sliceRows(0, 1), student.inputShape, `data.x for student ${student.name}`);
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

/** The cached teacher logits of the training rows: read from the checkpoint dir on resume, else computed (and saved there). */
async function cachedTeacherLogits(teacher: ResolvedTeacher, x: Tensor<'float32'>, options: DistillOptions, emit: (e: DistillEvent) => void): Promise<Tensor<'float32'>> {
  const rows = x.shape[0]!;
  const file = options.checkpointDir ? path.join(options.checkpointDir, 'teacher-logits.npy') : undefined;
  if (file && options.resume && existsSync(file)) {
    const saved = await readLogitsFile(file);
    if (saved.shape[0] === rows && saved.shape[1] === teacher.numClasses) {
      emit({ type: 'teacher-logits', teacher: teacher.name, done: rows, total: rows, cached: true });
      return saved;
    }
  }
  const logits = await teacher.trainLogits(x, {
    batchSize: options.teacherBatchSize ?? 512,
    onBatch: (done, total) => emit({ type: 'teacher-logits', teacher: teacher.name, done, total, cached: false }),
  });
  if (logits.shape[0] !== rows || logits.shape[1] !== teacher.numClasses) {
    throw new DistillDataError('teacher logits', `expected [${rows}, ${teacher.numClasses}], found ${formatShape(logits.shape)}`);
  }
  for (let i = 0; i < logits.size; i++) {
    if (!Number.isFinite(logits.data[i]!)) throw new DistillDataError('teacher logits', `value ${logits.data[i]} at row ${Math.floor(i / teacher.numClasses)} is not finite`);
  }
  if (file) await writeLogitsFile(file, logits);
  return logits;
}

/**
 * Knowledge distillation: trains a small tfjs student to match a teacher's softened outputs (and the
 * true labels), on the tensor-core training loop.
 *
 * 1. Everything is validated first (typed errors, no training yet): τ > 0, α in [0, 1], λ >= 0,
 *    non-empty data, labels in range, teacher and student with the same class count and input size.
 * 2. The teacher's logits for every training row (labelled + transfer) are computed once, in
 *    batches (through ONNX Runtime for `.onnx` teachers), and cached; an epoch costs only the student.
 * 3. A loss with a `prepare` stage (e.g. `hint`) runs it; then the student trains with the loss.
 * 4. With `test` data the summary compares teacher and student accuracy and their agreement.
 *
 * Transfer rows (`transfer.x`, or data rows labelled `-1`) train on the soft targets only.
 *
 * @example
 * const { student, summary } = await distill({
 *   teacher: 'teacher.onnx', student: 'mlp:128', data: train, test,
 *   temperature: 4, alpha: 0.7, epochs: 5, batchSize: 128, seed: 1,
 * });
 * console.log(summary.teacher.accuracy, summary.student.accuracy);
 */
export async function distill(options: DistillOptions): Promise<DistillResult> {
  const emit = (event: DistillEvent): void => options.onEvent?.(event);
  if (!options || typeof options !== 'object') throw new ConfigError('options', 'distill needs an options object');
  if (!Number.isInteger(options.epochs) || options.epochs < 1) throw new ConfigError('epochs', `must be a positive integer, got ${options.epochs}`);
  const batchSize = options.batchSize ?? 128;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError('batchSize', `must be a positive integer, got ${batchSize}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ConfigError('seed', `must be an integer, got ${seed}`);
  const x = checkInputs(options.data?.x, 'data.x');
  const transferX = options.transfer ? checkInputs(options.transfer.x, 'transfer.x') : undefined;
  if (transferX && formatShape(transferX.shape.slice(1)) !== formatShape(x.shape.slice(1))) {
    throw new ShapeMismatchError({ tensor: 'transfer.x', expected: `rows shaped like data.x ${formatShape(x.shape.slice(1))}`, found: formatShape(transferX.shape.slice(1)) });
  }
  if (options.earlyStopping && !options.validation) throw new ConfigError('earlyStopping', `monitors ${options.earlyStopping.monitor} but no validation set was given`);
  if (options.resume && !options.checkpointDir) throw new ConfigError('resume', 'needs checkpointDir');
  const optimizer = options.optimizer ?? { name: 'adam', learningRate: 1e-3 };
  const { loss, settings } = planLoss(options, 0);

  await initBackend();
  const teacher = await resolveTeacher(options.teacher);
  try {
    const classes = teacher.numClasses;
    settings.numClasses = classes;
    const labelled = checkLabelArray(options.data.y, x.shape[0]!, classes, 'data.y', true);
    if (options.validation) {
      checkInputs(options.validation.x, 'validation.x');
      checkLabelArray(options.validation.y, options.validation.x.shape[0]!, classes, 'validation.y', false);
    }
    if (options.test) {
      checkInputs(options.test.x, 'test.x');
      checkLabelArray(options.test.y, options.test.x.shape[0]!, classes, 'test.y', false);
    }
    const student = studentModel(options, classes, seed);
    const wrapped = new TfjsModel(student, typeof options.student === 'string' ? options.student : student.name);
    checkCompatible(teacher, wrapped, x);

    const xAll = transferX ? Tensor.concatRows([x, transferX], 'training inputs + transfer set') : x;
    const unlabelled = (transferX?.shape[0] ?? 0) + (x.shape[0]! - labelled);
    const yAll = new Int32Array(xAll.shape[0]!).fill(-1);
    yAll.set(options.data.y, 0);

    const t0 = performance.now();
    const teacherLogits = await cachedTeacherLogits(teacher, xAll, options, emit);
    const teacherSeconds = (performance.now() - t0) / 1000;

    const resuming = Boolean(options.resume && options.checkpointDir && (await listCheckpoints(options.checkpointDir)).length > 0);
    if (loss.prepare && !resuming) {
      emit({ type: 'stage', stage: 'hint' });
      await loss.prepare({
        teacher: { name: teacher.name, ...(teacher.model ? { model: teacher.model } : {}), ...(teacher.layersModel ? { layersModel: teacher.layersModel } : {}) },
        student,
        x: xAll,
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
    const { history } = await train({
      model: student,
      data: { x: xAll, y: yAll, targets: { teacher: teacherLogits } },
      loss: loss.create(settings),
      optimizer,
      epochs: options.epochs,
      batchSize,
      seed,
      ...(options.validation ? { validation: options.validation } : {}),
      ...(options.earlyStopping ? { earlyStopping: options.earlyStopping } : {}),
      ...(options.checkpointDir ? { checkpointDir: options.checkpointDir } : {}),
      ...(options.resume ? { resume: options.resume } : {}),
      onEvent: (event) => emit({ type: 'train', stage: 'distill', event }),
      ...(options.signal ? { signal: options.signal } : {}),
    });

    let teacherAccuracy: number | null = null;
    let studentAccuracy: number | null = null;
    let agreement: number | null = null;
    if (options.test) {
      emit({ type: 'evaluate', what: 'teacher' });
      const tLogits = await teacher.testLogits(options.test.x, { batchSize: options.teacherBatchSize ?? 512 });
      emit({ type: 'evaluate', what: 'student' });
      const sLogits = await wrapped.predict(options.test.x);
      studentAccuracy = accuracy(sLogits, options.test.y);
      if (tLogits) {
        teacherAccuracy = accuracy(tLogits, options.test.y);
        agreement = agreementOf(tLogits, sLogits);
      }
    }
    const params = countParams(student);
    const summary: DistillSummary = {
      teacher: { name: teacher.name, accuracy: teacherAccuracy, ...teacherSize(teacher) },
      student: { name: wrapped.name, accuracy: studentAccuracy, params, bytes: params * 4 },
      agreement,
      loss: loss.name,
      temperature: settings.temperature,
      weight: { name: loss.weight, value: loss.weight === 'lambda' ? settings.lambda : loss.weight === 'alpha' ? settings.alpha : 0 },
      rows: { labelled, unlabelled },
      backend: history.backend,
      samplesPerSecond: history.samplesPerSecond,
      teacherSeconds,
      epochs: history.epochs.length,
    };
    emit({ type: 'done', summary });
    return { student, history, summary, teacherLogits };
  } finally {
    await teacher.dispose();
  }
}
