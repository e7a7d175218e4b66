import { ConfigError, type Dataset, type DeclaredShape, formatShape, logitsFromProbabilities, type Model, predictBatched, softmax, type Tensor, Tensor as TensorClass, TfjsModel, tfl } from '@shrinkray/tensor-core';
import { DistillDataError } from '../errors/distill-data-error.js';
import { TeacherStudentMismatchError } from '../errors/teacher-student-mismatch-error.js';
import { readLogitsFile } from './logits-file.js';

/** Precomputed teacher logits: a tensor or an `.npy` file, row `i` for training row `i`. */
export interface LogitsTeacher {
  /** `[N, C]` logits for the training split's examples, in its order, or an `.npy` path. */
  logits: Tensor<'float32'> | string;
  /** Optional `[M, C]` logits for the test split, so the report can give the teacher's test accuracy. */
  testLogits?: Tensor<'float32'> | string;
  name?: string;
}

/** Several teachers whose predictions are averaged (probabilities by default, as `ensemble`'s `mean`). */
export interface EnsembleTeacher {
  ensemble: readonly TeacherSource[];
  /**
   * `probabilities` (default): the teacher's logits are `log(mean_i softmax(z_i))`;
   * `logits`: the mean of the members' logits (a geometric mean of their probabilities).
   */
  combine?: 'probabilities' | 'logits';
  name?: string;
}

/**
 * Where teacher logits come from:
 * - a tensor-core `Model` (`TfjsModel`, onnx-io's `OnnxModel`, anything with `predict`);
 * - a tfjs `LayersModel`;
 * - a path: `model.json` (tfjs), `.onnx` (run by ONNX Runtime), `.npy` (precomputed logits);
 * - `{ logits }` precomputed logits; `{ ensemble: [...] }` an averaged ensemble of any of these.
 */
export type TeacherSource = Model | tfl.LayersModel | string | LogitsTeacher | EnsembleTeacher;

/** A teacher ready to produce logits. */
export interface ResolvedTeacher {
  readonly name: string;
  readonly numClasses: number;
  /** Declared input shape; `undefined` for precomputed logits (they have no model). */
  readonly inputShape: DeclaredShape | undefined;
  /** The single tfjs model behind the teacher, when there is one (the `hint` loss needs it). */
  readonly layersModel: tfl.LayersModel | undefined;
  /** The model, when there is one (not for precomputed logits). */
  readonly model: Model | undefined;
  /** Logits `[N, C]` of every example of the training split `data`, computed in batches. */
  trainLogits(data: Dataset, options: LogitsOptions): Promise<Tensor<'float32'>>;
  /** Logits of the test split, or `undefined` when the teacher cannot produce them (a logits file without `testLogits`). */
  testLogits(data: Dataset, options: LogitsOptions): Promise<Tensor<'float32'> | undefined>;
  /** Releases what `resolveTeacher` opened itself (models passed in by the caller are left alone). */
  dispose(): Promise<void>;
}

/** How teacher logits are computed. */
export interface LogitsOptions {
  /** Rows per `predict` call. */
  batchSize: number;
  /** Rows done so far, after each batch. */
  onBatch?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

function isModel(v: unknown): v is Model {
  return typeof v === 'object' && v !== null && typeof (v as Model).predict === 'function' && typeof (v as Model).numClasses === 'number' && Array.isArray((v as Model).inputShape);
}

function isLayersModel(v: unknown): v is tfl.LayersModel {
  return v instanceof tfl.LayersModel || (typeof v === 'object' && v !== null && typeof (v as tfl.LayersModel).apply === 'function' && Array.isArray((v as tfl.LayersModel).layers));
}

/** A model's logits on every example of `data` (tensor-core's `predictBatched`), checking the output's shape. */
export async function predictLogits(model: Model, data: Dataset, options: LogitsOptions): Promise<Tensor<'float32'>> {
  const out = await predictBatched(model, data, {
    batchSize: options.batchSize,
    ...(options.onBatch ? { onProgress: options.onBatch } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (data.size > 0 && out.shape[1] !== model.numClasses) {
    throw new TeacherStudentMismatchError({ what: 'classes', expectedFrom: `teacher ${model.name} (declared)`, expected: String(model.numClasses), foundIn: `its predictions`, found: String(out.shape[1]) });
  }
  return out;
}

function modelTeacher(model: Model, owned: boolean): ResolvedTeacher {
  const layersModel = model instanceof TfjsModel ? model.layersModel : undefined;
  return {
    name: model.name,
    numClasses: model.numClasses,
    inputShape: model.inputShape,
    layersModel,
    model,
    trainLogits: (data, o) => predictLogits(model, data, o),
    testLogits: (data, o) => predictLogits(model, data, o),
    dispose: async () => {
      if (owned) await model.dispose();
    },
  };
}

async function loadLogits(source: Tensor<'float32'> | string, what: string): Promise<Tensor<'float32'>> {
  const t = typeof source === 'string' ? await readLogitsFile(source) : source;
  if (t.rank !== 2 || t.dtype !== 'float32') throw new DistillDataError(what, `expected float32 logits [N, C], found ${t.dtype} ${formatShape(t.shape)}`);
  return t;
}

function checkRows(logits: Tensor<'float32'>, data: Dataset, what: string, name: string): Tensor<'float32'> {
  if (logits.shape[0] !== data.size) {
    throw new DistillDataError(what, `${name} holds logits for ${logits.shape[0]} rows, ${data.name} has ${data.size} examples`);
  }
  return logits;
}

async function logitsTeacher(source: LogitsTeacher): Promise<ResolvedTeacher> {
  const name = source.name ?? (typeof source.logits === 'string' ? source.logits : 'precomputed logits');
  const train = await loadLogits(source.logits, 'teacher.logits');
  const test = source.testLogits === undefined ? undefined : await loadLogits(source.testLogits, 'teacher.testLogits');
  if (test && test.shape[1] !== train.shape[1]) {
    throw new TeacherStudentMismatchError({ what: 'classes', expectedFrom: `teacher logits ${name}`, expected: String(train.shape[1]), foundIn: 'teacher test logits', found: String(test.shape[1]) });
  }
  return {
    name,
    numClasses: train.shape[1]!,
    inputShape: undefined,
    layersModel: undefined,
    model: undefined,
    trainLogits: async (data) => checkRows(train, data, 'teacher.logits', name),
    testLogits: async (data) => (test ? checkRows(test, data, 'teacher.testLogits', name) : undefined),
    dispose: async () => {},
  };
}

/** Row-wise average of members' logits: `log(mean softmax)` or `mean logits`. */
export function averageLogits(parts: readonly Tensor<'float32'>[], combine: 'probabilities' | 'logits'): Tensor<'float32'> {
  const first = parts[0]!;
  const [rows, cols] = first.shape as [number, number];
  const out = new Float64Array(rows * cols);
  for (const p of parts) {
    const values = combine === 'probabilities' ? softmax(p).data : p.data;
    for (let i = 0; i < out.length; i++) out[i]! += values[i]!;
  }
  const result = new TensorClass('float32', [rows, cols], Float32Array.from(out, (v) => v / parts.length));
  return combine === 'probabilities' ? logitsFromProbabilities(result, true) : result;
}

async function ensembleTeacher(source: EnsembleTeacher): Promise<ResolvedTeacher> {
  if (!Array.isArray(source.ensemble) || source.ensemble.length === 0) throw new ConfigError('teacher.ensemble', 'needs at least one teacher');
  const combine = source.combine ?? 'probabilities';
  if (combine !== 'probabilities' && combine !== 'logits') throw new ConfigError('teacher.combine', `must be 'probabilities' or 'logits', got ${String(combine)}`);
  const members: ResolvedTeacher[] = [];
  try {
    for (const m of source.ensemble) members.push(await resolveTeacher(m));
  } catch (error) {
    for (const m of members) await m.dispose();
    throw error;
  }
  const first = members[0]!;
  for (const m of members.slice(1)) {
    if (m.numClasses !== first.numClasses) {
      for (const d of members) await d.dispose();
      throw new TeacherStudentMismatchError({ what: 'classes', expectedFrom: `ensemble member ${first.name}`, expected: String(first.numClasses), foundIn: `ensemble member ${m.name}`, found: String(m.numClasses) });
    }
  }
  const name = source.name ?? `ensemble(${members.map((m) => m.name).join(', ')})`;
  const run = async (data: Dataset, o: LogitsOptions, which: 'trainLogits' | 'testLogits'): Promise<Tensor<'float32'> | undefined> => {
    const parts: Tensor<'float32'>[] = [];
    for (const m of members) {
      const p = await m[which](data, o);
      if (!p) return undefined;
      parts.push(p);
    }
    return averageLogits(parts, combine);
  };
  return {
    name,
    numClasses: first.numClasses,
    inputShape: members.find((m) => m.inputShape)?.inputShape,
    layersModel: undefined,
    model: undefined,
    trainLogits: async (data, o) => (await run(data, o, 'trainLogits'))!,
    testLogits: (data, o) => run(data, o, 'testLogits'),
    dispose: async () => {
      for (const m of members) await m.dispose();
    },
  };
}

/**
 * Turns any {@link TeacherSource} into a {@link ResolvedTeacher}. Paths are opened here (and closed
 * by `dispose`) with onnx-io's `modelPath`/`openModel`, the rule every package shares: a tfjs folder or
 * `model.json`, an `.onnx` file (ONNX Runtime), or an `.npy` file of precomputed logits.
 */
export async function resolveTeacher(source: TeacherSource): Promise<ResolvedTeacher> {
  if (typeof source === 'string') {
    const { modelPath, openModel } = await import('@shrinkray/onnx-io');
    let kind: string;
    try {
      kind = modelPath(source).kind;
    } catch {
      throw new ConfigError('teacher', `${source}: expected a tfjs model folder or model.json, an .onnx file or an .npy logits file`);
    }
    if (kind === 'logits') return logitsTeacher({ logits: source });
    return modelTeacher(await openModel(source, { name: source }), true);
  }
  if (isModel(source)) return modelTeacher(source, false);
  if (isLayersModel(source)) return modelTeacher(new TfjsModel(source), false);
  if (typeof source === 'object' && source !== null && 'ensemble' in source) return ensembleTeacher(source);
  if (typeof source === 'object' && source !== null && 'logits' in source) return logitsTeacher(source);
  throw new ConfigError('teacher', 'expected a Model, a tfjs LayersModel, a file path, { logits } or { ensemble }');
}
