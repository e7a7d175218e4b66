import { existsSync } from 'node:fs';
import { copyFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { isTextCsvHeader, openData, type OpenDataOptions, readCsvHeader, type TextDatasetSplits, TextTokenizer } from '@shrinkray/datasets';
import { buildTextStudent, countParams, distill, openTextTeacher, parseTextStudentSpec, saveStudent, type TextTeacher, textTeacherLogits } from '@shrinkray/distill';
import { OnnxTextModel } from '@shrinkray/onnx-io';
import { accuracy, evaluate, initBackend, loadTfjsModel, type Model, TfjsModel } from '@shrinkray/tensor-core';
import { emit, type GlobalOptions, type Io, UsageError } from '../io.js';
import { logdirFor } from '../logdir.js';
import { optimizerFromOptions } from '../optimizer-option.js';
import { createProgress } from '../progress.js';

/** The text options `eval`, `distill`, `ensemble`, `prune` and `quantize` accept (added by {@link addTextOptions}). */
export interface TextCliOptions {
  tokenizer?: string;
  textColumn?: string;
  labelColumn?: string;
  maxLength?: string;
}

const TEXT_DATA = /^(jsonl|text-csv):/;

/**
 * Refuses `--tokenizer` / `--max-length` on a job that is not text (they would be ignored).
 *
 * @throws UsageError naming the options.
 */
export function refuseTextOptions(options: TextCliOptions): void {
  if (options.tokenizer !== undefined || options.maxLength !== undefined) {
    throw new UsageError('--tokenizer and --max-length apply to text data (jsonl:, text-csv:, csv: of texts) or text models');
  }
}

/** Adds `--tokenizer`, `--text-column` and `--max-length` to a command (`--label-column` is a data option). */
export function addTextOptions(command: Command): Command {
  return command
    .option('--tokenizer <path>', 'text data: tokenizer.json (or a folder holding one) making the token ids; default the model folder\'s')
    .option('--text-column <name>', 'text data: the text column / JSON field (default text)')
    .option('--max-length <n>', 'text data: tokens per text (default the tokenizer\'s)');
}

/** True when `p` is a directory. */
export async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** A transformers.js model folder: `hf:DIR`, or a folder without a tfjs `model.json` (a tfjs model folder is not one). */
export async function isTextModelFolder(model: string): Promise<boolean> {
  return model.startsWith('hf:') || ((await isDir(model)) && !existsSync(path.join(model, 'model.json')));
}

/**
 * True for `csv:` data of texts: `--text-column` or `--tokenizer` given, or TRAIN's header is a text
 * header (`isTextCsvHeader`: only `text`, the label column and `id`).
 */
async function isTextCsv(data: string, options: TextCliOptions): Promise<boolean> {
  if (!data.startsWith('csv:')) return false;
  if (options.textColumn !== undefined || options.tokenizer !== undefined) return true;
  const header = await readCsvHeader(data.slice('csv:'.length).split(',')[0]!.trim());
  return header !== null && isTextCsvHeader(header, options.labelColumn !== undefined ? { labelColumn: options.labelColumn } : {});
}

/**
 * True for text data (`jsonl:`, `text-csv:`, or `csv:` of texts, see {@link isTextCsv}) or a model
 * given as a transformers.js folder (`hf:DIR` or a folder).
 */
export async function isTextJob(model: string | undefined, data: string, options: TextCliOptions = {}): Promise<boolean> {
  return TEXT_DATA.test(data) || (await isTextCsv(data, options)) || (model !== undefined && (await isTextModelFolder(model)));
}

/** `--max-length` as a number (`undefined` when absent); a UsageError unless an integer >= 2. */
export function maxLengthOf(options: TextCliOptions): number | undefined {
  if (options.maxLength === undefined) return undefined;
  const n = Number(options.maxLength);
  if (!Number.isInteger(n) || n < 2) throw new UsageError(`--max-length ${options.maxLength}: expected an integer >= 2`);
  return n;
}

function dataOptions(options: TextCliOptions, tokenizer: TextTokenizer, extra: Partial<OpenDataOptions> = {}): OpenDataOptions {
  return { tokenizer, ...(options.textColumn ? { textColumn: options.textColumn } : {}), ...(options.labelColumn ? { labelColumn: options.labelColumn } : {}), ...extra };
}

/** The text splits of `--data` (jsonl:, text-csv: or csv: of texts) tokenized by `tokenizer`. */
export async function openTextSplits(spec: string, options: TextCliOptions, tokenizer: TextTokenizer, extra: Partial<OpenDataOptions> = {}): Promise<TextDatasetSplits> {
  if (!TEXT_DATA.test(spec) && !spec.startsWith('csv:')) throw new UsageError(`--data ${spec}: a text model needs text data (jsonl:TRAIN[,TEST], csv:TRAIN[,TEST] with a text column, or text-csv:TRAIN[,TEST])`);
  // `csv:` here is text data even when its header has more than text, label and id columns.
  const csvText = spec.startsWith('csv:') && options.textColumn === undefined ? { textColumn: 'text' } : {};
  return (await openData(spec, dataOptions(options, tokenizer, { ...csvText, ...extra }))) as TextDatasetSplits;
}

/** The tokenizer of `--tokenizer`, else `tokenizer.json` beside the model file. */
async function studentTokenizer(options: TextCliOptions, modelFile: string | undefined): Promise<TextTokenizer> {
  const maxLength = maxLengthOf(options);
  const source = options.tokenizer ?? (modelFile ? path.dirname(modelFile) : undefined);
  if (!source) throw new UsageError('text data needs --tokenizer (a tokenizer.json or a folder holding one)');
  return TextTokenizer.load(source, maxLength !== undefined ? { maxLength } : {});
}

/** A text student's tokenizer and splits (see {@link openStudentText}). */
export interface StudentText {
  tokenizer: TextTokenizer;
  splits: TextDatasetSplits;
}

/**
 * The tokenizer of a text student (`--tokenizer`, else `tokenizer.json` beside `modelFile`; tokens per
 * text `--max-length`, else `sequenceLength`, the model's input length when it declares one) and the
 * splits of `data` tokenized by it, in the class order of `--classes` when given (else the data's).
 */
export async function openStudentText(modelFile: string, data: string, options: TextCliOptions & { classes?: string[] }, context: { sequenceLength?: number | null; seed: number }): Promise<StudentText> {
  const length = options.maxLength === undefined && typeof context.sequenceLength === 'number' ? { maxLength: String(context.sequenceLength) } : {};
  const tokenizer = await studentTokenizer({ ...options, ...length }, modelFile);
  const splits = await openTextSplits(data, options, tokenizer, { seed: context.seed, ...(options.classes ? { classes: options.classes } : {}) });
  return { tokenizer, splits };
}

/** A transformers.js text classifier folder opened for a job on its ONNX file (see {@link openTeacherText}). */
export interface TeacherText {
  /** The folder (without `hf:`). */
  dir: string;
  /** Its ONNX file: `onnx/model.onnx`, else `model.onnx`. */
  file: string;
  tokenizer: TextTokenizer;
  classNames: readonly string[];
  /** The splits of `data` tokenized by the folder's tokenizer in its class order (when data is given). */
  splits: TextDatasetSplits | undefined;
}

/**
 * A transformers.js folder (`hf:DIR` or `DIR`): its ONNX file, tokenizer (`--max-length` applies) and
 * class names (`config.json` `id2label`), and `data` tokenized by that tokenizer in that class order.
 */
export async function openTeacherText(modelArg: string, data: string | undefined, options: TextCliOptions, seed: number): Promise<TeacherText> {
  const maxLength = maxLengthOf(options);
  const teacher = await openTextTeacher(modelArg, maxLength !== undefined ? { maxLength } : {});
  await teacher.dispose();
  const dir = modelArg.startsWith('hf:') ? modelArg.slice(3) : modelArg;
  const nested = path.join(dir, 'onnx', 'model.onnx');
  const file = existsSync(nested) ? nested : path.join(dir, 'model.onnx');
  const splits = data === undefined ? undefined : await openTextSplits(data, options, teacher.tokenizer, { classes: teacher.classNames, seed });
  return { dir, file, tokenizer: teacher.tokenizer, classNames: teacher.classNames, splits };
}

/**
 * `shrinkray eval MODEL --data jsonl:…|csv:…|text-csv:…`: a text model on the test split. MODEL is a
 * transformers.js folder (`hf:DIR` or `DIR`, run on its own tokenizer) or a student `.onnx` /
 * `model.json` whose tokenizer is `--tokenizer` or the `tokenizer.json` beside it.
 */
export async function runTextEval(out: Io, globals: GlobalOptions, modelArg: string, options: TextCliOptions & { data: string }): Promise<void> {
  await initBackend();
  let teacher: TextTeacher | undefined;
  let model: Model;
  let tokenizer: TextTokenizer;
  const maxLength = maxLengthOf(options);
  if (await isTextModelFolder(modelArg)) {
    teacher = await openTextTeacher(modelArg, maxLength !== undefined ? { maxLength } : {});
    model = teacher.model;
    tokenizer = teacher.tokenizer;
  } else {
    // A tfjs model folder stands for its model.json.
    const file = (await isDir(modelArg)) ? path.join(modelArg, 'model.json') : modelArg;
    tokenizer = await studentTokenizer(options, file);
    model = file.toLowerCase().endsWith('.onnx') ? await OnnxTextModel.create(file, { padId: tokenizer.padId, name: modelArg }) : new TfjsModel(await loadTfjsModel(file), modelArg);
  }
  try {
    const { test, texts } = await openTextSplits(options.data, options, tokenizer, teacher ? { classes: teacher.classNames } : {});
    if (model.numClasses !== test.numClasses) throw new UsageError(`${modelArg} outputs ${model.numClasses} classes but ${options.data} has ${test.numClasses}`);
    const progress = createProgress(out);
    progress.start('eval', test.size);
    const logits = teacher ? await textTeacherLogits(teacher, texts.test, { onBatch: (d) => progress.update(d) }) : await model.predict(await test.read(Int32Array.from({ length: test.size }, (_, i) => i)));
    progress.stop();
    const metrics = evaluate(logits, test.labels);
    const result = { model: modelArg, data: options.data, tokenizer: tokenizer.file, ...metrics };
    emit(out, globals, result, () =>
      [`model     ${modelArg}`, `data      ${options.data} (test split, ${metrics.samples} texts, ${tokenizer.modelType} ${tokenizer.file})`, `accuracy  ${(metrics.accuracy * 100).toFixed(2)}%`, `nll       ${metrics.nll.toFixed(4)}`, `ece       ${metrics.ece.toFixed(4)}`].join('\n'),
    );
  } finally {
    await model.dispose();
  }
}

/** Options of `shrinkray distill` that the text path reads. */
export interface TextDistillCliOptions extends TextCliOptions {
  teacher: string[];
  student: string;
  data: string;
  temperature?: string;
  alpha?: string;
  epochs: string;
  batchSize: string;
  learningRate: string;
  optimizer: string;
  weightDecay?: string;
  baseline?: boolean;
  labelled?: string;
  earlyStopping?: string;
  validationFraction: string;
  checkpointDir?: string;
  resume?: boolean;
  loss?: string;
  lambda?: string;
  teacherLayer?: string;
  studentLayer?: string;
  hintEpochs?: string;
  logdir?: string;
  output: string;
}

/**
 * `shrinkray distill --teacher hf:DIR --student text-bag:E|text-cnn:E,C|text-transformer:L,H,E --data jsonl:… -o OUT`: the
 * teacher runs on its own tokenizer over the raw texts (logits computed once), the student trains on
 * `--tokenizer`'s ids (default the teacher's tokenizer). Writes the student (tfjs + ONNX) and its
 * tokenizer to OUT, so `shrinkray eval OUT/model.onnx --data …` finds it.
 */
export async function runTextDistill(out: Io, globals: GlobalOptions, options: TextDistillCliOptions): Promise<void> {
  if (options.teacher.length !== 1) throw new UsageError('text distillation takes one --teacher (a transformers.js folder, hf:DIR)');
  if (!parseTextStudentSpec(options.student)) throw new UsageError(`--student ${options.student}: a text student is text-bag:E[/D], text-cnn:E,C[/D] or text-transformer:L,H,E`);
  // The text teacher is a logits source run once over the texts: the hint loss (which needs the
  // teacher's layers) and the additive loss's λ do not apply; say so rather than ignore them.
  const refused = (
    [
      ['--loss', options.loss],
      ['--lambda', options.lambda],
      ['--teacher-layer', options.teacherLayer],
      ['--student-layer', options.studentLayer],
      ['--hint-epochs', options.hintEpochs],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (refused.length > 0) throw new UsageError(`${refused.map(([o]) => o).join(', ')}: not available for text distillation (hinton loss with --temperature and --alpha)`);
  if (options.resume && !options.checkpointDir) throw new UsageError('--resume needs --checkpoint-dir');
  const seed = globals.seed ?? 0;
  const int = (v: string, o: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${o} ${v}: expected a positive integer`);
    return n;
  };
  const epochs = int(options.epochs, '--epochs');
  const batchSize = int(options.batchSize, '--batch-size');
  const optimizer = optimizerFromOptions(options);
  await initBackend();
  const maxLength = maxLengthOf(options);
  const teacher = await openTextTeacher(options.teacher[0]!, maxLength !== undefined ? { maxLength } : {});
  try {
    const tokenizer = options.tokenizer ? await studentTokenizer(options, undefined) : teacher.tokenizer;
    const data = await openTextSplits(options.data, options, tokenizer, { classes: teacher.classNames, seed });
    const classNames = data.train.classNames;
    const progress = createProgress(out);
    progress.start(`teacher logits (${teacher.name})`, data.train.size);
    const trainLogits = await textTeacherLogits(teacher, data.texts.train, { classNames, onBatch: (d) => progress.update(d) });
    progress.stop();
    const testLogits = await textTeacherLogits(teacher, data.texts.test, { classNames });
    // --labelled N: N class-balanced rows keep their labels, the rest are a transfer set (distill's own split).
    const labelled = options.labelled === undefined ? undefined : int(options.labelled, '--labelled');
    const build = () => buildTextStudent(options.student, { sequenceLength: tokenizer.maxLength, vocabSize: tokenizer.vocabSize, padId: tokenizer.padId, numClasses: classNames.length, seed });
    const kd = {
      ...(options.temperature !== undefined ? { temperature: Number(options.temperature) } : {}),
      ...(options.alpha !== undefined ? { alpha: Number(options.alpha) } : {}),
    };
    const patience = options.earlyStopping === undefined ? undefined : int(options.earlyStopping, '--early-stopping');
    const validationFraction = Number(options.validationFraction);
    if (!(validationFraction > 0 && validationFraction < 1)) throw new UsageError(`--validation-fraction ${options.validationFraction}: expected a number in (0, 1)`);
    const { model: student, report: s } = await distill({
      teacher: { logits: trainLogits, testLogits, name: teacher.name },
      student: build(),
      data: { train: data.train, test: data.test },
      ...(labelled !== undefined ? { labelled } : {}),
      ...(options.baseline ? { baseline: true } : {}),
      optimizer,
      epochs,
      batchSize,
      seed,
      validationFraction,
      ...(patience !== undefined ? { earlyStopping: { monitor: 'val_loss' as const, patience, restoreBestWeights: true } } : {}),
      ...(options.checkpointDir ? { checkpointDir: options.checkpointDir } : {}),
      ...(options.resume ? { resume: true } : {}),
      onEvent: logdirFor.distill(options, () => {}),
      ...kd,
    });
    const baseline = s.baseline?.accuracy ?? null;
    const saved = await saveStudent(student, options.output);
    const tokenizerCopy = path.join(options.output, 'tokenizer.json');
    await copyFile(tokenizer.file, tokenizerCopy);
    const report = {
      teacher: { models: options.teacher, accuracy: accuracy(testLogits, data.test.labels), bytes: teacher.bytes, tokenizer: teacher.tokenizer.file },
      student: { spec: options.student, accuracy: s.student.accuracy, params: countParams(student), bytes: saved.onnx ? (await stat(saved.onnx)).size : s.student.bytes, tokenizer: tokenizer.file },
      baseline: baseline === null ? null : { accuracy: baseline },
      agreement: s.agreement,
      loss: s.loss,
      temperature: s.temperature,
      alpha: s.weight.name === 'alpha' ? s.weight.value : null,
      epochs: s.epochs,
      batchSize,
      data: options.data,
      rows: s.rows,
      backend: s.backend,
      throughput: { samplesPerSecond: s.samplesPerSecond },
      history: s.history.epochs,
      files: [...saved.files, tokenizerCopy],
    };
    const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(2)}%`);
    emit(out, globals, report, () =>
      [
        `teacher    ${options.teacher[0]}  accuracy ${pct(report.teacher.accuracy)}  ${report.teacher.bytes} bytes`,
        `student    ${options.student}  accuracy ${pct(report.student.accuracy)}  params ${report.student.params}  ${report.student.bytes} bytes (ONNX)`,
        ...(baseline !== null ? [`baseline   same student trained alone  accuracy ${pct(baseline)}`] : []),
        `agreement  ${pct(s.agreement)} of test texts`,
        `data       ${options.data}: ${s.rows.labelled} labelled + ${s.rows.unlabelled} unlabelled training texts, ${data.test.size} test texts`,
        ...report.files.map((f) => `wrote ${f}`),
      ].join('\n'),
    );
  } finally {
    await teacher.dispose();
  }
}
