import { existsSync } from 'node:fs';
import { openData } from '@shrinkray/datasets';
import {
  DEFAULT_ALPHA,
  DEFAULT_TEMPERATURE,
  type DistillEvent,
  distill,
  getLoss,
  listLosses,
  parseStudentSpec,
  saveStudent,
  type TeacherSource,
} from '@shrinkray/distill';
import { type EpochMetrics, loadTfjsModel, type Model, TfjsModel, type tfl } from '@shrinkray/tensor-core';
import type { Command } from 'commander';
import { addDataOptions, type DataCliOptions, dataHelp, openDataOptions } from '../data-options.js';
import { emit, type GlobalOptions, type Io, UsageError } from '../io.js';
import { logdirFor, logdirOption } from '../logdir.js';
import { openModel } from '../models.js';
import { OPTIMIZER_NAMES, optimizerFromOptions } from '../optimizer-option.js';
import { createProgress, type Progress } from '../progress.js';
import { addTextOptions, isTextJob, runTextDistill, type TextDistillCliOptions } from './text.js';

/** The `--json` result of `shrinkray distill` (CLI.md keys: `teacher.accuracy`, `student.accuracy`, `baseline.accuracy`, `backend`, `throughput.samplesPerSecond`, `files`). */
export interface DistillCliResult {
  teacher: { models: string[]; accuracy: number | null; params: number | null; bytes: number | null };
  student: { spec: string; accuracy: number | null; params: number; bytes: number };
  /** The student trained alone with the same seed, epochs, optimizer and batch (`--baseline`), else null. */
  baseline: { accuracy: number | null; samplesPerSecond: number } | null;
  /** Share of test rows where student and teacher pick the same class. */
  agreement: number | null;
  /** Share of the teacher–baseline gap the distilled student closes: (student − baseline) / (teacher − baseline). */
  gapClosed: number | null;
  loss: string;
  temperature: number;
  alpha: number | null;
  lambda: number | null;
  epochs: number;
  batchSize: number;
  data: string;
  rows: { labelled: number; unlabelled: number; test: number };
  backend: string;
  throughput: { samplesPerSecond: number };
  history: EpochMetrics[];
  files: string[];
}

/** The options of `distill`: the text path's (which now covers every training option) and the data options. */
type DistillCliOptions = DataCliOptions & TextDistillCliOptions;

function number(value: string, option: string, check: (v: number) => boolean, expected: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || !check(v)) throw new UsageError(`${option} ${value}: expected ${expected}`);
  return v;
}

const positiveInt = (value: string, option: string) => number(value, option, (v) => Number.isInteger(v) && v > 0, 'a positive integer');

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function pct(v: number | null): string {
  return v === null ? '-' : `${(v * 100).toFixed(2)}%`;
}

function humanReport(r: DistillCliResult): string {
  const lines = [
    `teacher    ${r.teacher.models.join(' + ')}  accuracy ${pct(r.teacher.accuracy)}${r.teacher.params !== null ? `  params ${r.teacher.params}` : ''}`,
    `student    ${r.student.spec}  accuracy ${pct(r.student.accuracy)}  params ${r.student.params}`,
  ];
  if (r.baseline) lines.push(`baseline   same student trained alone  accuracy ${pct(r.baseline.accuracy)}${r.gapClosed !== null ? `  (distillation closes ${(r.gapClosed * 100).toFixed(1)}% of the gap)` : ''}`);
  lines.push(
    `agreement  ${pct(r.agreement)} of test rows`,
    `loss       ${r.loss}  τ=${r.temperature}${r.alpha !== null ? `  α=${r.alpha}` : ''}${r.lambda !== null ? `  λ=${r.lambda}` : ''}  ${r.epochs} epochs, batch ${r.batchSize}`,
    `data       ${r.data}: ${r.rows.labelled} labelled + ${r.rows.unlabelled} unlabelled training rows, ${r.rows.test} test rows`,
    `training   ${Math.round(r.throughput.samplesPerSecond)} samples/s on ${r.backend}`,
    ...r.files.map((f) => `wrote ${f}`),
  );
  return lines.join('\n');
}

/** Forwards distill progress events to a progress bar. */
function progressHandler(progress: Progress, epochs: number): (event: DistillEvent) => void {
  return (event) => {
    if (event.type === 'teacher-logits') {
      if (event.done === event.total || event.done <= 0) progress.stop();
      else {
        progress.start(`teacher logits (${event.teacher})`, event.total);
        progress.update(event.done);
      }
    } else if (event.type === 'train') {
      const e = event.event;
      if (e.type === 'epoch-start') progress.start(`${event.stage} epoch ${e.epoch}/${event.stage === 'hint' ? e.epochs : epochs}`, 1);
      else if (e.type === 'batch') {
        if (e.batch === 1) progress.start(`${event.stage} epoch ${e.epoch}/${event.stage === 'hint' ? '?' : epochs}`, e.batches);
        progress.update(e.batch, `loss ${e.loss.toFixed(4)}`);
      } else if (e.type === 'epoch-end') progress.stop();
    }
  };
}

/**
 * `shrinkray distill --teacher <model> --student <spec|model.json> --data D [...] -o DIR`: knowledge
 * distillation (`@shrinkray/distill`). The teacher may be a tfjs model.json, an .onnx file (run by ONNX
 * Runtime) or an .npy file of precomputed logits; `--teacher` repeated averages an ensemble. Writes the
 * student to DIR as tfjs (model.json + weights.bin) and ONNX (model.onnx).
 */
export function registerDistill(program: Command, io: () => Io, globals: () => GlobalOptions): void {
  const command = addDataOptions(program.command('distill'))
    .description('train a small student to mimic a teacher (knowledge distillation); writes tfjs + ONNX')
    .requiredOption('--teacher <model>', 'teacher: model.json, .onnx, .npy logits of the training split (repeat for an averaged ensemble), or a transformers.js text model folder (hf:DIR)', collect, [])
    .requiredOption('--student <spec>', 'mlp:H1,H2,... | cnn:C1,C2,...[/D] | text-bag:E[/D] | text-cnn:E,C[/D] | text-transformer:L,H,E | a tfjs model.json to train')
    .requiredOption('--data <spec>', dataHelp())
    .option('--temperature <T>', `softmax temperature τ > 0 (default ${DEFAULT_TEMPERATURE})`)
    .option('--alpha <A>', `soft-target weight α in [0,1] of the hinton loss (default ${DEFAULT_ALPHA})`)
    .option('--lambda <L>', 'soft-target weight λ >= 0 of the additive loss (implies --loss additive)')
    .option('--loss <name>', `distillation loss: ${listLosses().join(', ')} (or a plugin's)`)
    .option('--epochs <n>', 'training epochs', '5')
    .option('--batch-size <n>', 'rows per optimizer step', '128')
    .option('--learning-rate <lr>', 'optimizer learning rate', '0.001')
    .option('--optimizer <name>', OPTIMIZER_NAMES.join(' | '), 'adam')
    .option('--weight-decay <w>', 'adamw: decoupled weight decay (default 0.01)')
    .option('--baseline', 'also train the same student alone (same seed, epochs, optimizer, batch) for comparison')
    .option('--labelled <n>', 'keep labels for only N training rows (class-balanced, --seed); the rest is an unlabelled transfer set')
    .option('--early-stopping <patience>', 'stop when validation loss has not improved for N epochs (validation carved from the training split)')
    .option('--validation-fraction <f>', 'share of the training split held out for --early-stopping', '0.1')
    .option('--teacher-layer <name>', 'hint loss: the teacher layer to match')
    .option('--student-layer <name>', 'hint loss: the student layer that learns it')
    .option('--hint-epochs <n>', 'hint loss: epochs of the hint stage')
    .option('--checkpoint-dir <dir>', 'write a checkpoint after every epoch (atomically)')
    .option('--resume', 'continue from the newest checkpoint in --checkpoint-dir')
    .addOption(logdirOption())
    .requiredOption('-o, --output <dir>', 'output directory for model.json, weights.bin and model.onnx');
  addTextOptions(command).action(async (options: DistillCliOptions) => {
      const out = io();
      if (await isTextJob(options.teacher[0], options.data, options)) return runTextDistill(out, globals(), options);
      const seed = globals().seed ?? 0;
      const temperature = options.temperature === undefined ? undefined : number(options.temperature, '--temperature', (v) => v > 0, 'a number > 0');
      const alpha = options.alpha === undefined ? undefined : number(options.alpha, '--alpha', (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
      const lambda = options.lambda === undefined ? undefined : number(options.lambda, '--lambda', (v) => v >= 0, 'a number >= 0');
      if (alpha !== undefined && lambda !== undefined) throw new UsageError('--alpha and --lambda exclude each other (--alpha for hinton, --lambda for additive)');
      const epochs = positiveInt(options.epochs, '--epochs');
      const batchSize = positiveInt(options.batchSize, '--batch-size');
      const optimizer = optimizerFromOptions(options);
      const labelledRows = options.labelled === undefined ? undefined : positiveInt(options.labelled, '--labelled');
      const patience = options.earlyStopping === undefined ? undefined : number(options.earlyStopping, '--early-stopping', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
      const fraction = number(options.validationFraction, '--validation-fraction', (v) => v > 0 && v < 1, 'a number in (0, 1)');
      const hintEpochs = options.hintEpochs === undefined ? undefined : positiveInt(options.hintEpochs, '--hint-epochs');
      if (options.resume && !options.checkpointDir) throw new UsageError('--resume needs --checkpoint-dir');
      for (const t of options.teacher) if (!existsSync(t)) throw new UsageError(`--teacher ${t}: no such file`);
      // Fail fast, before loading models and data: unknown loss names and bad student specs.
      if (options.loss) getLoss(options.loss);
      if (!options.student.toLowerCase().endsWith('.json')) parseStudentSpec(options.student);

      const opened: Model[] = [];
      try {
        const sources: TeacherSource[] = [];
        for (const t of options.teacher) {
          if (t.toLowerCase().endsWith('.npy')) sources.push(t);
          else {
            const m = await openModel(t);
            opened.push(m);
            sources.push(m);
          }
        }
        const teacher: TeacherSource = sources.length === 1 ? sources[0]! : { ensemble: sources };
        const studentIsFile = options.student.toLowerCase().endsWith('.json');
        if (studentIsFile && !existsSync(options.student)) throw new UsageError(`--student ${options.student}: no such file`);
        const makeStudent = async (): Promise<tfl.LayersModel | string> => (studentIsFile ? loadTfjsModel(options.student) : options.student);

        const student = await makeStudent();
        const declared = opened[0]?.inputShape ?? (typeof student === 'string' ? undefined : new TfjsModel(student).inputShape);
        const data = await openData(options.data, openDataOptions(options, { ...(declared ? { inputShape: declared } : {}), seed }));

        const progress = createProgress(out);
        const { model, report: r } = await distill({
          teacher,
          student,
          data,
          ...(labelledRows !== undefined ? { labelled: labelledRows } : {}),
          validationFraction: fraction,
          ...(options.baseline ? { baseline: true } : {}),
          ...(options.loss ? { loss: options.loss } : {}),
          lossOptions: {
            ...(options.teacherLayer ? { teacherLayer: options.teacherLayer } : {}),
            ...(options.studentLayer ? { studentLayer: options.studentLayer } : {}),
            ...(hintEpochs ? { hintEpochs } : {}),
          },
          ...(temperature !== undefined ? { temperature } : {}),
          ...(alpha !== undefined ? { alpha } : {}),
          ...(lambda !== undefined ? { lambda } : {}),
          optimizer,
          epochs,
          batchSize,
          seed,
          ...(patience !== undefined ? { earlyStopping: { monitor: 'val_loss' as const, patience, restoreBestWeights: true } } : {}),
          ...(options.checkpointDir ? { checkpointDir: options.checkpointDir } : {}),
          ...(options.resume ? { resume: true } : {}),
          onEvent: logdirFor.distill(options, progressHandler(progress, epochs)),
        });
        progress.stop();

        const saved = await saveStudent(model, options.output);
        const report: DistillCliResult = {
          teacher: { models: options.teacher, accuracy: r.teacher.accuracy, params: r.teacher.params, bytes: r.teacher.bytes },
          student: { spec: options.student, accuracy: r.student.accuracy, params: r.student.params, bytes: r.student.bytes },
          baseline: r.baseline ? { accuracy: r.baseline.accuracy, samplesPerSecond: r.baseline.samplesPerSecond } : null,
          agreement: r.agreement,
          gapClosed: r.gapClosed,
          loss: r.loss,
          temperature: r.temperature,
          alpha: r.weight.name === 'alpha' ? r.weight.value : null,
          lambda: r.weight.name === 'lambda' ? r.weight.value : null,
          epochs: r.epochs,
          batchSize,
          data: options.data,
          rows: { labelled: r.rows.labelled, unlabelled: r.rows.unlabelled, test: r.rows.test },
          backend: r.backend,
          throughput: { samplesPerSecond: r.samplesPerSecond },
          history: r.history.epochs,
          files: saved.files,
        };
        emit(out, globals(), report, () => humanReport(report));
      } finally {
        await Promise.all(opened.map((m) => m.dispose()));
      }
    });
}
