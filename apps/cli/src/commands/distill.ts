import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { type Dataset, loadData, stratifiedSplit } from '@shrinkray/datasets';
import {
  DEFAULT_ALPHA,
  DEFAULT_TEMPERATURE,
  type DistillEvent,
  type DistillSummary,
  distill,
  getLoss,
  listLosses,
  parseStudentSpec,
  saveStudent,
  type TeacherSource,
  trainAlone,
} from '@shrinkray/distill';
import { type EpochMetrics, loadTfjsModel, type Model, type OptimizerConfig, type tfl } from '@shrinkray/tensor-core';
import { emit, type GlobalOptions, type Io, UsageError } from '../io.js';
import { logdirFor, logdirOption } from '../logdir.js';
import { openModel } from '../models.js';
import { createProgress, type Progress } from '../progress.js';

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

interface DistillCliOptions {
  teacher: string[];
  student: string;
  data: string;
  temperature?: string;
  alpha?: string;
  lambda?: string;
  loss?: string;
  epochs: string;
  batchSize: string;
  learningRate: string;
  optimizer: string;
  baseline?: boolean;
  labelled?: string;
  earlyStopping?: string;
  validationFraction: string;
  teacherLayer?: string;
  studentLayer?: string;
  hintEpochs?: string;
  checkpointDir?: string;
  resume?: boolean;
  output: string;
}

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
      if (e.type === 'epoch-start') progress.start(`${event.stage} epoch ${e.epoch}/${event.stage === 'distill' ? epochs : e.epochs}`, 1);
      else if (e.type === 'batch') {
        if (e.batch === 1) progress.start(`${event.stage} epoch ${e.epoch}/${event.stage === 'distill' ? epochs : '?'}`, e.batches);
        progress.update(e.batch, `loss ${e.loss.toFixed(4)}`);
      } else if (e.type === 'epoch-end') progress.stop();
    }
  };
}

/** Keeps `labelled` rows of the training split (class-balanced, seeded); the rest become the transfer set. */
function splitLabelled(train: Dataset, labelled: number, seed: number): { data: Dataset; transfer: Dataset | undefined } {
  const n = train.y.length;
  if (labelled >= n) return { data: train, transfer: undefined };
  const { train: rest, validation: kept } = stratifiedSplit(train, { fraction: labelled / n, seed });
  return { data: kept, transfer: rest };
}

/**
 * `shrinkray distill --teacher <model> --student <spec|model.json> --data D [...] -o DIR`: knowledge
 * distillation (`@shrinkray/distill`). The teacher may be a tfjs model.json, an .onnx file (run by ONNX
 * Runtime) or an .npy file of precomputed logits; `--teacher` repeated averages an ensemble. Writes the
 * student to DIR as tfjs (model.json + weights.bin) and ONNX (model.onnx).
 */
export function registerDistill(program: Command, io: () => Io, globals: () => GlobalOptions): void {
  program
    .command('distill')
    .description('train a small student to mimic a teacher (knowledge distillation); writes tfjs + ONNX')
    .requiredOption('--teacher <model>', 'teacher: model.json, .onnx, or .npy logits of the training split (repeat for an averaged ensemble)', collect, [])
    .requiredOption('--student <spec>', 'mlp:H1,H2,... | cnn:C1,C2,...[/D] | a tfjs model.json to train')
    .requiredOption('--data <spec>', 'mnist | fashion-mnist[:DIR] | idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS')
    .option('--temperature <T>', `softmax temperature τ > 0 (default ${DEFAULT_TEMPERATURE})`)
    .option('--alpha <A>', `soft-target weight α in [0,1] of the hinton loss (default ${DEFAULT_ALPHA})`)
    .option('--lambda <L>', 'soft-target weight λ >= 0 of the additive loss (implies --loss additive)')
    .option('--loss <name>', `distillation loss: ${listLosses().join(', ')} (or a plugin's)`)
    .option('--epochs <n>', 'training epochs', '5')
    .option('--batch-size <n>', 'rows per optimizer step', '128')
    .option('--learning-rate <lr>', 'optimizer learning rate', '0.001')
    .option('--optimizer <name>', 'adam | sgd | momentum | rmsprop', 'adam')
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
    .requiredOption('-o, --output <dir>', 'output directory for model.json, weights.bin and model.onnx')
    .action(async (options: DistillCliOptions) => {
      const out = io();
      const seed = globals().seed ?? 0;
      const temperature = options.temperature === undefined ? undefined : number(options.temperature, '--temperature', (v) => v > 0, 'a number > 0');
      const alpha = options.alpha === undefined ? undefined : number(options.alpha, '--alpha', (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
      const lambda = options.lambda === undefined ? undefined : number(options.lambda, '--lambda', (v) => v >= 0, 'a number >= 0');
      if (alpha !== undefined && lambda !== undefined) throw new UsageError('--alpha and --lambda exclude each other (--alpha for hinton, --lambda for additive)');
      const epochs = positiveInt(options.epochs, '--epochs');
      const batchSize = positiveInt(options.batchSize, '--batch-size');
      const learningRate = number(options.learningRate, '--learning-rate', (v) => v > 0, 'a number > 0');
      const optimizerNames = ['adam', 'sgd', 'momentum', 'rmsprop'];
      if (!optimizerNames.includes(options.optimizer)) throw new UsageError(`--optimizer ${options.optimizer}: expected one of ${optimizerNames.join(', ')}`);
      const optimizer = { name: options.optimizer, learningRate } as OptimizerConfig;
      const labelledRows = options.labelled === undefined ? undefined : positiveInt(options.labelled, '--labelled');
      const patience = options.earlyStopping === undefined ? undefined : number(options.earlyStopping, '--early-stopping', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
      const fraction = number(options.validationFraction, '--validation-fraction', (v) => v > 0 && v < 1, 'a number in (0, 1)');
      const hintEpochs = options.hintEpochs === undefined ? undefined : positiveInt(options.hintEpochs, '--hint-epochs');
      if (options.resume && !options.checkpointDir) throw new UsageError('--resume needs --checkpoint-dir');
      const npyTeachers = options.teacher.filter((t) => t.toLowerCase().endsWith('.npy'));
      if (npyTeachers.length > 0 && (labelledRows !== undefined || patience !== undefined)) {
        throw new UsageError(`--teacher ${npyTeachers[0]}: precomputed logits follow the training split's row order; they cannot be combined with --labelled or --early-stopping`);
      }
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

        const { train: fullTrain, test } = await loadData(options.data);
        let train = fullTrain;
        let validation: Dataset | undefined;
        if (patience !== undefined) {
          const split = stratifiedSplit(fullTrain, { fraction, seed });
          train = split.train;
          validation = split.validation;
        }
        const { data, transfer } = labelledRows === undefined ? { data: train, transfer: undefined } : splitLabelled(train, labelledRows, seed);

        const progress = createProgress(out);
        const result = await distill({
          teacher,
          student: await makeStudent(),
          data,
          ...(transfer ? { transfer: { x: transfer.x } } : {}),
          ...(validation ? { validation } : {}),
          test,
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

        let baseline: DistillCliResult['baseline'] = null;
        if (options.baseline) {
          const alone = await trainAlone({
            student: await makeStudent(),
            numClasses: fullTrain.numClasses,
            data,
            ...(validation ? { validation } : {}),
            test,
            optimizer,
            epochs: result.summary.epochs,
            batchSize,
            seed,
            onEvent: (e) => {
              if (e.type === 'batch') {
                if (e.batch === 1) progress.start(`baseline epoch ${e.epoch}/${result.summary.epochs}`, e.batches);
                progress.update(e.batch, `loss ${e.loss.toFixed(4)}`);
              } else if (e.type === 'epoch-end') progress.stop();
            },
          });
          progress.stop();
          baseline = { accuracy: alone.accuracy, samplesPerSecond: alone.history.samplesPerSecond };
        }

        const saved = await saveStudent(result.student, options.output);
        const s: DistillSummary = result.summary;
        const gap = baseline && baseline.accuracy !== null && s.teacher.accuracy !== null && s.student.accuracy !== null && s.teacher.accuracy !== baseline.accuracy
          ? (s.student.accuracy - baseline.accuracy) / (s.teacher.accuracy - baseline.accuracy)
          : null;
        const report: DistillCliResult = {
          teacher: { models: options.teacher, accuracy: s.teacher.accuracy, params: s.teacher.params, bytes: s.teacher.bytes },
          student: { spec: options.student, accuracy: s.student.accuracy, params: s.student.params, bytes: s.student.bytes },
          baseline,
          agreement: s.agreement,
          gapClosed: gap,
          loss: s.loss,
          temperature: s.temperature,
          alpha: s.weight.name === 'alpha' ? s.weight.value : null,
          lambda: s.weight.name === 'lambda' ? s.weight.value : null,
          epochs: s.epochs,
          batchSize,
          data: options.data,
          rows: { ...s.rows, test: test.y.length },
          backend: s.backend,
          throughput: { samplesPerSecond: s.samplesPerSecond },
          history: result.history.epochs,
          files: saved.files,
        };
        emit(out, globals(), report, () => humanReport(report));
      } finally {
        await Promise.all(opened.map((m) => m.dispose()));
      }
    });
}
