import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { openData } from '@shrinkray/datasets';
import { BATCH_NORM_INITS, type BatchNormReport, criteria, isBatchNormInit, loadModelForPruning, modes, planGroups, type PruneEvent, type PruneReport, prune, type RecalibrationReport, savePrunedModel, schedules, toOnnxBytes } from '@shrinkray/prune';
import { type OptimizerConfig, TfjsModel, type tfl, writeFileAtomic } from '@shrinkray/tensor-core';
import type { Command } from 'commander';
import { addDataOptions, type DataCliOptions, dataHelp, openDataOptions } from '../data-options.js';
import { emit, type GlobalOptions, type Io, UsageError } from '../io.js';
import { logdirFor, logdirOption } from '../logdir.js';
import { checkModelPath } from '../models.js';
import { createProgress, type Progress } from '../progress.js';
import { addTextOptions, isTextJob, openStudentText, refuseTextOptions, type TextCliOptions } from './text.js';

/** The `--json` result of `shrinkray prune` (CLI.md keys: `before.accuracy`, `after.accuracy`, `sparsity`, `params.before`, `params.after`, `files`). */
export interface PruneCliResult {
  model: string;
  data: string;
  before: { accuracy: number | null; params: number; onnxBytes: number | null; onnxGzipBytes: number | null };
  after: { accuracy: number | null; params: number; onnxBytes: number | null; onnxGzipBytes: number | null };
  /** Over the pruned layers: zero fraction of their kernels, or removed fraction of their units with `--structured`. */
  sparsity: number;
  /** `before`/`after`: non-zero parameters; `storedBefore`/`storedAfter`: parameters in the model. */
  params: PruneReport['params'];
  layers: PruneReport['layers'];
  structured: boolean;
  criterion: string;
  scope: string;
  schedule: string;
  mode: string;
  finetuneEpochs: number;
  /** The epoch a `--resume` run continued from, else null. */
  resumedFromEpoch: number | null;
  files: string[];
  /** MACs of one example before and after, in total and per layer. */
  macs: { before: number; after: number; layers: NonNullable<PruneReport['macs']>['layers'] };
  /** `--structured`: every dependency group (members, status, channels before/after, removed) and what blocked it. */
  groups: NonNullable<PruneReport['groups']>;
  /** `--structured`: layers the group builder does not understand (their input channels stay unpruned). */
  unsupported: NonNullable<PruneReport['unsupported']>;
  /** `--structured`: pruning steps. */
  steps: number;
  /** `--recalibrate`: the layers rescaled/shifted to the dense model's channel statistics (last step), else null. */
  recalibration: RecalibrationReport | null;
  /** `--reinsert-bn`: the convolutions fine-tuned with a re-inserted BatchNormalization (folded back), those left alone, and the rows its statistics came from; else null. */
  batchNorm: BatchNormReport | null;
  /** Text data: the tokenizer.json the token ids came from (copied beside the pruned model), else null. */
  tokenizer: string | null;
}

interface PruneCliOptions extends DataCliOptions, TextCliOptions {
  data: string;
  sparsity: string;
  structured?: boolean;
  criterion: string;
  scope: string;
  schedule?: string;
  mode: string;
  decayRate?: string;
  finetuneEpochs: string;
  batchSize: string;
  learningRate: string;
  exclude: string[];
  layerSparsity: string[];
  includeOutputLayer?: boolean;
  checkpointDir?: string;
  resume?: boolean;
  roundTo?: string;
  ignore: string[];
  steps?: string;
  recalibrate?: string | boolean;
  reinsertBn?: boolean | string;
  output: string;
}

/** Training batches `--recalibrate` measures statistics on when given without a number. */
const DEFAULT_RECALIBRATION_BATCHES = 16;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function number(value: string, option: string, check: (v: number) => boolean, expected: string): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || !check(v)) throw new UsageError(`${option} ${value}: expected ${expected}`);
  return v;
}

function pct(v: number | null): string {
  return v === null ? '-' : `${(v * 100).toFixed(2)}%`;
}

function humanReport(r: PruneCliResult): string {
  const bytes = (n: number | null) => (n === null ? '-' : n.toLocaleString('en-US'));
  const lines = [
    `model      ${r.model}  (${r.structured ? 'structured' : 'unstructured'}, ${r.criterion}, ${r.scope} scope, ${r.schedule}, ${r.mode}, ${r.finetuneEpochs} fine-tuning epochs)`,
    `accuracy   ${pct(r.before.accuracy)} -> ${pct(r.after.accuracy)}  (${r.data} test split)`,
    `sparsity   ${pct(r.sparsity)} of pruned ${r.structured ? 'units' : 'weights'}`,
    `params     ${r.params.before.toLocaleString('en-US')} -> ${r.params.after.toLocaleString('en-US')} non-zero (${r.params.storedAfter.toLocaleString('en-US')} stored)`,
    `onnx       ${bytes(r.before.onnxBytes)} -> ${bytes(r.after.onnxBytes)} bytes, gzip ${bytes(r.before.onnxGzipBytes)} -> ${bytes(r.after.onnxGzipBytes)}`,
    `macs       ${r.macs.before.toLocaleString('en-US')} -> ${r.macs.after.toLocaleString('en-US')} per example (${(r.macs.before / Math.max(1, r.macs.after)).toFixed(2)}x fewer)`,
    ...(r.groups.length > 0
      ? r.groups.map((g) => `  ${g.id.padEnd(4)} ${g.status.padEnd(7)} ${String(g.channels.before).padStart(5)} -> ${String(g.channels.after).padEnd(5)} ${g.producers.join(', ')}${g.blockers[0] ? `  (${g.blockers[0].layer}: ${g.blockers[0].reason})` : ''}`)
      : r.layers.map((l) => `  ${l.layer.padEnd(24)} ${pct(l.sparsity).padStart(7)}  units ${l.units.before} -> ${l.units.after}`)),
    ...(r.recalibration ? [`recalib    ${r.recalibration.layers.length} layers matched to the dense model's channel statistics on ${r.recalibration.rows} training rows`] : []),
    ...(r.batchNorm ? [`batchnorm  fine-tuned with BatchNormalization re-inserted after ${r.batchNorm.inserted.length} convolutions (${r.batchNorm.init} start, statistics of ${r.batchNorm.rows} training rows), folded back`] : []),
    ...r.unsupported.map((u) => `unpruned   ${u.layer} (${u.className}): ${u.reason}`),
    ...r.files.map((f) => `wrote ${f}`),
  ];
  return lines.join('\n');
}

function progressHandler(progress: Progress, epochs: number): (event: PruneEvent) => void {
  return (event) => {
    if (event.type !== 'train') return;
    const e = event.event;
    if (e.type === 'batch') {
      if (e.batch === 1) progress.start(`fine-tune epoch ${e.epoch}/${epochs}`, e.batches);
      progress.update(e.batch, `loss ${e.loss.toFixed(4)}`);
    } else if (e.type === 'epoch-end') progress.stop();
  };
}

/** The model file a model argument stands for (a tfjs model folder stands for its model.json). */
async function modelFileOf(modelPath: string): Promise<string> {
  const isDir = await stat(modelPath).then((s) => s.isDirectory(), () => false);
  return isDir ? path.join(modelPath, 'model.json') : modelPath;
}

/**
 * `shrinkray prune <model> --data D --sparsity S [...] -o DIR`: pruning + fine-tuning
 * (`@shrinkray/prune`). Takes a tfjs model.json or an .onnx file (PyTorch exports included, imported
 * to tfjs); writes DIR/model.json + weights.bin and DIR/model.onnx. With text data (`jsonl:`, text
 * `csv:`), the model is a text student fed by its tokenizer, copied to DIR/tokenizer.json.
 */
export function registerPrune(program: Command, io: () => Io, globals: () => GlobalOptions): void {
  const command = addDataOptions(program.command('prune'))
    .description('prune a model (unstructured masks or structured removal of units/filters) and fine-tune it; writes tfjs + ONNX')
    .argument('<model>', 'tfjs model.json or .onnx file')
    .requiredOption('--data <spec>', dataHelp())
    .requiredOption('--sparsity <S>', 'target sparsity in [0, 1): share of weights zeroed, or of units/filters removed with --structured')
    .option('--structured', 'remove whole Dense units and Conv2D filters (a smaller, faster model)')
    .option('--criterion <name>', `importance criterion: ${criteria.list().join(', ')} (or a plugin's)`, 'l1')
    .option('--scope <scope>', 'layer (each layer to S) | global (one threshold across layers)', 'layer')
    .option('--schedule <name>', `${schedules.list().join(', ')} (default polynomial with fine-tuning, else one-shot)`)
    .option('--mode <name>', `${modes.list().join(', ')}`, 'hard')
    .option('--decay-rate <r>', 'soft-decay: decay per optimizer step (default: fades to e^-8 by the end of the schedule)')
    .option('--finetune-epochs <n>', 'fine-tuning epochs (pruning is spread over the first half with gradual schedules)', '2')
    .option('--batch-size <n>', 'rows per optimizer step', '128')
    .option('--learning-rate <lr>', 'Adam learning rate', '0.001')
    .option('--exclude <layer>', 'never prune this layer (repeatable)', collect, [])
    .option('--layer-sparsity <layer=S>', 'per-layer target overriding --sparsity (repeatable)', collect, [])
    .option('--include-output-layer', 'also prune the output layer (unstructured only makes sense)')
    .option('--checkpoint-dir <dir>', 'write a checkpoint (weights, optimizer, masks) after every epoch, atomically')
    .option('--resume', 'continue from the newest checkpoint in --checkpoint-dir')
    .addOption(logdirOption())
    .option('--round-to <n>', '--structured: keep every group\'s channel count a multiple of n (e.g. 8 or 16)')
    .option('--ignore <layer|group>', '--structured: never prune the dependency group of this layer (or group id, e.g. g0) (repeatable)', collect, [])
    .option('--steps <k>', '--structured: prune in k equal steps, fine-tuning --finetune-epochs after each', undefined)
    .option('--recalibrate [batches]', `--structured: after each prune step, rescale the kept channels so their per-channel mean/std on N training batches of --batch-size match the dense model's (default ${DEFAULT_RECALIBRATION_BATCHES})`)
    .option('--reinsert-bn [init]', "--structured: fine-tune with a BatchNormalization after every Conv2D/DepthwiseConv2D not followed by one, then fold it back into the convolutions (for BN-folded exports, e.g. PyTorch); init 'identity' (default: outputs unchanged at insertion) or 'fresh' (gamma 1, beta 0); needs --finetune-epochs >= 1")
    .requiredOption('-o, --output <dir>', 'output directory for model.json, weights.bin and model.onnx (and tokenizer.json with text data)');
  addTextOptions(command).action(async (modelPath: string, options: PruneCliOptions) => {
      const out = io();
      const seed = globals().seed ?? 0;
      const sparsity = number(options.sparsity, '--sparsity', (v) => v >= 0 && v < 1, 'a number in [0, 1)');
      const epochs = number(options.finetuneEpochs, '--finetune-epochs', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
      const batchSize = number(options.batchSize, '--batch-size', (v) => Number.isInteger(v) && v > 0, 'a positive integer');
      const learningRate = number(options.learningRate, '--learning-rate', (v) => v > 0, 'a number > 0');
      const decayRate = options.decayRate === undefined ? undefined : number(options.decayRate, '--decay-rate', (v) => v > 0, 'a number > 0');
      if (options.scope !== 'layer' && options.scope !== 'global') throw new UsageError(`--scope ${options.scope}: expected layer or global`);
      const overrides: Record<string, number> = {};
      for (const spec of options.layerSparsity) {
        const eq = spec.lastIndexOf('=');
        if (eq <= 0) throw new UsageError(`--layer-sparsity ${spec}: expected LAYER=S`);
        overrides[spec.slice(0, eq)] = number(spec.slice(eq + 1), `--layer-sparsity ${spec.slice(0, eq)}=`, (v) => v >= 0 && v < 1, 'a number in [0, 1)');
      }
      const roundTo = options.roundTo === undefined ? undefined : number(options.roundTo, '--round-to', (v) => Number.isInteger(v) && v > 0, 'a positive integer');
      const steps = options.steps === undefined ? undefined : number(options.steps, '--steps', (v) => Number.isInteger(v) && v > 0, 'a positive integer');
      const recalibrate = options.recalibrate === undefined ? undefined : options.recalibrate === true ? DEFAULT_RECALIBRATION_BATCHES : number(String(options.recalibrate), '--recalibrate', (v) => Number.isInteger(v) && v > 0, 'a positive integer');
      if (!options.structured && (roundTo !== undefined || steps !== undefined || recalibrate !== undefined || options.ignore.length > 0)) throw new UsageError('--round-to, --ignore, --steps and --recalibrate need --structured');
      if (options.reinsertBn && !options.structured) throw new UsageError('--reinsert-bn needs --structured');
      if (typeof options.reinsertBn === 'string' && !isBatchNormInit(options.reinsertBn)) throw new UsageError(`--reinsert-bn: expected ${BATCH_NORM_INITS.map((i) => `'${i}'`).join(' or ')}, got '${options.reinsertBn}'`);
      if (options.reinsertBn && epochs < 1) throw new UsageError('--reinsert-bn needs --finetune-epochs of at least 1 (the BatchNormalization layers are only there for fine-tuning)');
      if (options.reinsertBn && (options.checkpointDir || options.resume)) throw new UsageError('--reinsert-bn cannot be combined with --checkpoint-dir or --resume');
      if (recalibrate !== undefined && batchSize < 2) throw new UsageError('--recalibrate needs --batch-size of at least 2 (a standard deviation needs two rows)');
      if (options.resume && !options.checkpointDir) throw new UsageError('--resume needs --checkpoint-dir');
      checkModelPath(modelPath);
      // Fail on unknown plugin names before any data is loaded.
      criteria.get(options.criterion);
      modes.get(options.mode);
      // Structured pruning of coupled channels (residual, depthwise) is one-shot by dependency groups.
      const schedule = options.schedule ?? (epochs > 0 && !options.structured ? 'polynomial' : 'one-shot');
      schedules.get(schedule);

      const model = await loadModelForPruning(modelPath);
      let pruned: tfl.LayersModel | undefined;
      try {
        // Structural decisions and refusals (groups, blocked layers, names) before any data is loaded.
        if (options.structured && schedule === 'one-shot' && options.mode === 'hard') {
          planGroups(model, { sparsity, ...(roundTo !== undefined ? { roundTo } : {}), ignore: options.ignore, layers: { exclude: options.exclude, ...(Object.keys(overrides).length > 0 ? { overrides } : {}) } });
        }
        const inputShape = new TfjsModel(model).inputShape;
        // Text students read token ids made by their tokenizer (--tokenizer, else the one beside the model).
        const textJob = await isTextJob(undefined, options.data, options);
        if (!textJob) refuseTextOptions(options);
        const text = textJob ? await openStudentText(await modelFileOf(modelPath), options.data, options, { sequenceLength: typeof inputShape[1] === 'number' ? inputShape[1] : null, seed }) : undefined;
        const data = text?.splits ?? (await openData(options.data, openDataOptions(options, { inputShape, seed })));
        const progress = createProgress(out);
        let lastOnnx: Uint8Array | undefined;
        const result = await prune({
          model,
          data,
          sparsity,
          criterion: options.criterion,
          scope: options.scope,
          structured: Boolean(options.structured),
          schedule,
          mode: options.mode,
          ...(decayRate !== undefined ? { decayRate } : {}),
          layers: {
            exclude: options.exclude,
            ...(options.includeOutputLayer ? { includeOutputLayer: true } : {}),
            ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
          },
          finetune: {
            epochs,
            batchSize,
            optimizer: { name: 'adam', learningRate } satisfies OptimizerConfig,
            ...(options.checkpointDir ? { checkpointDir: options.checkpointDir } : {}),
            ...(options.resume ? { resume: true } : {}),
            ...(options.reinsertBn ? { batchNorm: isBatchNormInit(options.reinsertBn) ? { init: options.reinsertBn } : ('reinsert' as const) } : {}),
          },
          ...(options.structured ? { ...(roundTo !== undefined ? { roundTo } : {}), ...(steps !== undefined ? { steps } : {}), ...(recalibrate !== undefined ? { recalibrate: { batches: recalibrate, batchSize } } : {}), ...(options.ignore.length > 0 ? { ignore: options.ignore } : {}) } : {}),
          seed,
          exportOnnx: async (m) => {
            lastOnnx = await toOnnxBytes(m);
            return lastOnnx;
          },
          onEvent: logdirFor.prune(options, progressHandler(progress, epochs)),
        });
        progress.stop();
        pruned = result.model;
        const r = result.report;
        const files = await savePrunedModel(pruned, options.output, lastOnnx);
        if (text) {
          const copy = path.join(options.output, 'tokenizer.json');
          if (path.resolve(copy) !== path.resolve(text.tokenizer.file)) await writeFileAtomic(copy, await readFile(text.tokenizer.file));
          files.push(copy);
        }
        const report: PruneCliResult = {
          model: modelPath,
          data: options.data,
          before: { accuracy: r.accuracy?.before ?? null, params: r.params.before, onnxBytes: r.onnx?.before.bytes ?? null, onnxGzipBytes: r.onnx?.before.gzipBytes ?? null },
          after: { accuracy: r.accuracy?.after ?? null, params: r.params.after, onnxBytes: r.onnx?.after.bytes ?? null, onnxGzipBytes: r.onnx?.after.gzipBytes ?? null },
          sparsity: r.sparsity,
          params: r.params,
          layers: r.layers,
          structured: r.structured,
          criterion: r.criterion,
          scope: r.scope,
          schedule: r.schedule,
          mode: r.mode,
          finetuneEpochs: epochs,
          resumedFromEpoch: r.finetune?.resumedFromEpoch ?? null,
          files,
          macs: r.macs ?? { before: 0, after: 0, layers: [] },
          groups: r.groups ?? [],
          unsupported: r.unsupported ?? [],
          steps: r.steps ?? 1,
          recalibration: r.recalibration ?? null,
          batchNorm: r.finetune?.batchNorm ?? null,
          tokenizer: text?.tokenizer.file ?? null,
        };
        emit(out, globals(), report, () => humanReport(report));
      } finally {
        model.dispose();
        pruned?.dispose();
      }
    });
}
