import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { TextTokenizer } from '@shrinkray/datasets';
import { OnnxTextModel, type OnnxTextModelOptions } from '@shrinkray/onnx-io';
import { ConfigError, Tensor } from '@shrinkray/tensor-core';
import { TeacherStudentMismatchError } from '../errors/teacher-student-mismatch-error.js';
import type { LogitsOptions, LogitsTeacher } from './teacher.js';

/** A text classifier with its own tokenizer: an ONNX model fed by the `tokenizer.json` it was trained with. */
export interface TextTeacher {
  readonly name: string;
  readonly model: OnnxTextModel;
  readonly tokenizer: TextTokenizer;
  /** Class names in the model's output order (`config.json`'s `id2label`; `"0"`, `"1"`… without one). */
  readonly classNames: readonly string[];
  /** Size of the ONNX file in bytes. */
  readonly bytes: number;
  dispose(): Promise<void>;
}

/** Options of {@link openTextTeacher}. */
export interface OpenTextTeacherOptions extends Omit<OnnxTextModelOptions, 'padId'> {
  /** Tokens per text; default the tokenizer's (`truncation.max_length` or `model_max_length`). */
  maxLength?: number;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** The ONNX file of a transformers.js / Optimum folder: `onnx/model.onnx`, else `model.onnx`. */
async function folderModel(dir: string): Promise<string> {
  for (const candidate of [path.join(dir, 'onnx', 'model.onnx'), path.join(dir, 'model.onnx')]) if (await isFile(candidate)) return candidate;
  throw new ConfigError('teacher', `${dir}: no onnx/model.onnx (or model.onnx) in the folder`);
}

function id2label(config: unknown, file: string): string[] | undefined {
  const map = (config as { id2label?: Record<string, unknown> } | undefined)?.id2label;
  if (!map || typeof map !== 'object') return undefined;
  const entries = Object.entries(map).map(([k, v]) => [Number(k), String(v)] as const);
  entries.sort((a, b) => a[0] - b[0]);
  if (entries.some(([k], i) => k !== i)) throw new ConfigError('teacher', `${file}: id2label keys must be 0..${entries.length - 1}`);
  return entries.map(([, v]) => v);
}

/**
 * Opens a text teacher from a transformers.js / Optimum folder (`hf:DIR` or `DIR`): `config.json`
 * (`id2label`), `tokenizer.json` (+ `tokenizer_config.json`) and `onnx/model.onnx`, run by ONNX
 * Runtime with `input_ids`, `attention_mask` and `token_type_ids` fed from its own tokenizer.
 *
 * @example
 * const teacher = await openTextTeacher('hf:models/debian-sections');
 * const logits = await textTeacherLogits(teacher, ['Perl module for …']);
 * @throws ConfigError naming the folder when a file is missing; OnnxFormatError for a bad model.
 */
export async function openTextTeacher(source: string, options: OpenTextTeacherOptions = {}): Promise<TextTeacher> {
  const dir = source.startsWith('hf:') ? source.slice(3) : source;
  const configFile = path.join(dir, 'config.json');
  let config: unknown;
  if (await isFile(configFile)) {
    try {
      config = JSON.parse(await readFile(configFile, 'utf8'));
    } catch (error) {
      throw new ConfigError('teacher', `${configFile}: not JSON (${(error as Error).message})`);
    }
  }
  if (!(await isFile(path.join(dir, 'tokenizer.json')))) throw new ConfigError('teacher', `${dir}: no tokenizer.json in the folder`);
  const file = await folderModel(dir);
  const tokenizer = await TextTokenizer.load(dir, options.maxLength !== undefined ? { maxLength: options.maxLength } : {});
  const { maxLength: _ignored, ...modelOptions } = options;
  const model = await OnnxTextModel.create(file, { name: path.basename(path.resolve(dir)), ...modelOptions, padId: tokenizer.padId });
  const classNames = id2label(config, configFile) ?? Array.from({ length: model.numClasses }, (_, i) => String(i));
  if (classNames.length !== model.numClasses) {
    await model.dispose();
    throw new TeacherStudentMismatchError({ what: 'classes', expectedFrom: `${configFile} id2label`, expected: String(classNames.length), foundIn: `${file} output`, found: String(model.numClasses) });
  }
  return { name: model.name, model, tokenizer, classNames, bytes: model.bytes, dispose: () => model.dispose() };
}

/**
 * The teacher's logits `[N, C]` for raw texts, tokenized by the teacher's own tokenizer, in batches.
 * With `classNames`, columns are reordered to that class order (the data's), so the logits line up
 * with the student's labels.
 *
 * @throws TeacherStudentMismatchError when a class of `classNames` is not one of the teacher's.
 */
export async function textTeacherLogits(teacher: TextTeacher, texts: readonly string[], options: Partial<LogitsOptions> & { classNames?: readonly string[] } = {}): Promise<Tensor<'float32'>> {
  const order = options.classNames ? classOrder(teacher, options.classNames) : undefined;
  const enc = teacher.tokenizer.encodeBatch(texts);
  const ids = new Tensor('int32', [enc.rows, enc.maxLength], enc.ids);
  const batch = Math.max(1, options.batchSize ?? 256);
  const parts: Tensor<'float32'>[] = [];
  for (let start = 0; start < enc.rows; start += batch) {
    const end = Math.min(enc.rows, start + batch);
    parts.push(await teacher.model.predict(ids.sliceRows(start, end)));
    options.onBatch?.(end, enc.rows);
  }
  const logits = parts.length > 0 ? Tensor.concatRows(parts, `${teacher.name} logits`) : new Tensor('float32', [0, teacher.classNames.length], new Float32Array(0));
  if (!order) return logits;
  const C = teacher.classNames.length;
  const out = new Float32Array(enc.rows * order.length);
  for (let r = 0; r < enc.rows; r++) for (let j = 0; j < order.length; j++) out[r * order.length + j] = logits.data[r * C + order[j]!]!;
  return new Tensor('float32', [enc.rows, order.length], out);
}

/** For each data class (by name), the teacher's output column. */
function classOrder(teacher: TextTeacher, classNames: readonly string[]): number[] {
  if (classNames.length !== teacher.classNames.length) {
    throw new TeacherStudentMismatchError({ what: 'classes', expectedFrom: `teacher ${teacher.name}`, expected: `${teacher.classNames.length} (${teacher.classNames.join(', ')})`, foundIn: 'the data', found: `${classNames.length} (${classNames.join(', ')})` });
  }
  return classNames.map((c) => {
    const k = teacher.classNames.indexOf(c);
    if (k < 0) throw new TeacherStudentMismatchError({ what: 'classes', expectedFrom: `teacher ${teacher.name}`, expected: teacher.classNames.join(', '), foundIn: 'the data', found: c });
    return k;
  });
}

/**
 * A {@link LogitsTeacher} for `distill()`: the text teacher's logits on the training texts (labelled
 * rows, then transfer rows, as the student's data is laid out) and on the test texts, each tokenized
 * by the teacher's own tokenizer, in the data's class order.
 */
export async function textTeacherSource(teacher: TextTeacher, texts: { train: readonly string[]; test?: readonly string[] }, options: Partial<LogitsOptions> & { classNames?: readonly string[] } = {}): Promise<LogitsTeacher> {
  const logits = await textTeacherLogits(teacher, texts.train, options);
  const testLogits = texts.test ? await textTeacherLogits(teacher, texts.test, { ...(options.batchSize ? { batchSize: options.batchSize } : {}), ...(options.classNames ? { classNames: options.classNames } : {}) }) : undefined;
  return { logits, ...(testLogits ? { testLogits } : {}), name: teacher.name };
}
