import { ConfigError, checkModelFitsData, cloneModel, type Dataset, initBackend, isDataset, type OptimizerConfig, TfjsModel, type TrainEvent, type tf, type tfl, train } from '@shrinkray/tensor-core';
import { type Criterion, criteria } from './criteria.js';
import { modelAccuracy } from './evaluate.js';
import { onnxSize, toOnnxBytes } from './files.js';
import type { GroupReduction } from './group-importance.js';
import { type GroupReport, pruneByGroups } from './group-prune.js';
import { kernelOf } from './graph.js';
import { type Blocker, buildGroups } from './groups.js';
import { compareMacs, countMacs, type MacsComparison } from './macs.js';
import { kernelGradients } from './gradients.js';
import { checkSparsity, type Scope } from './masks.js';
import { hard, type Mode, modes } from './modes.js';
import { type LayerSelection, type PrunableLayer, Pruner, prunableLayers } from './pruner.js';
import { type PruneUpdate, type Schedule, schedules } from './schedules.js';
import { checkRecalibrateOptions, type RecalibrateOptions, type RecalibrationReport } from './recalibrate.js';
import { type BatchNormInit, type BatchNormReinsertOptions, checkBatchNormOptions, reinsertsBatchNorm } from './batch-norm.js';
import { countNonzeroParams, countParams, removeUnits } from './surgery.js';

/** When a schedule prunes, as fractions of the fine-tuning steps, and how often. */
export interface ScheduleOptions {
  /** First pruning step as a fraction of all fine-tuning steps; default 0. */
  begin?: number;
  /** Step (fraction) at which the final sparsity is reached and every selected weight is zeroed; default 0.5. */
  end?: number;
  /** Steps between updates; default so that there are about 16 updates between begin and end. */
  frequency?: number;
  /** Initial sparsity of `polynomial`; default 0. */
  initial?: number;
}

/** Fine-tuning on the tensor-core training loop. */
export interface FinetuneOptions {
  epochs: number;
  /** Default 128. */
  batchSize?: number;
  /** Default Adam, learning rate 1e-3. */
  optimizer?: tf.Optimizer | OptimizerConfig;
  /** Checkpoint after every epoch into this directory: one file holding weights, optimizer and the pruning masks. */
  checkpointDir?: string;
  /** Continue from the newest checkpoint in `checkpointDir`. */
  resume?: boolean;
  /**
   * Structured (one-shot, hard): `'reinsert'` (or options) fine-tunes with a BatchNormalization layer
   * after every Conv2D/DepthwiseConv2D not already followed by one, its moving statistics measured on
   * training batches (γ, β per `init`: by default so inference is unchanged; `'fresh'`: γ = 1, β = 0),
   * trained in training mode and folded back into the
   * convolutions afterwards (the returned model has the pruned model's layers). For models whose
   * BatchNormalization was folded away by the export; default `'none'`.
   */
  batchNorm?: 'none' | 'reinsert' | BatchNormReinsertOptions;
}

/** Options of `prune`. */
export interface PruneOptions {
  /** The model to prune; it is not modified (a copy is pruned). */
  model: tfl.LayersModel;
  /** The splits (as `openData` returns them): `train` fine-tunes (and feeds `taylor`), `test` measures accuracy before and after. */
  data: {
    train: Dataset;
    test?: Dataset;
  };
  /** Target sparsity in [0, 1): fraction of kernel weights zeroed, or of units/filters removed when `structured` (the CLI's `--sparsity`). */
  sparsity: number;
  /** Importance criterion by name or object; default `l1`. */
  criterion?: string | Criterion;
  /** `layer` (default): each layer to the target; `global`: one threshold across layers. */
  scope?: Scope;
  /** Remove whole Dense units / Conv2D filters and return a physically smaller model. */
  structured?: boolean;
  /** Schedule by name or object; default `one-shot`. */
  schedule?: string | Schedule;
  scheduleOptions?: ScheduleOptions;
  /** `hard` (default) or `soft-decay` (or a registered plugin). */
  mode?: string | Mode;
  /** Decay per step of `soft-decay`; default chosen so a weight selected at `begin` fades to e^-8 by `end`. */
  decayRate?: number;
  /**
   * Structured: keep every group's channel count a multiple of this (e.g. 8 or 16: ONNX Runtime's
   * blocked convolution kernels run fastest on whole blocks); default 1.
   */
  roundTo?: number;
  /** Structured: layer names or group ids (`g3`) whose dependency groups are never pruned (e.g. the stem). */
  ignore?: readonly string[];
  /** Structured: prune in this many equal steps, fine-tuning `finetune.epochs` epochs after each; default 1. */
  steps?: number;
  /**
   * Structured: after every prune step (before its fine-tuning), rescale and shift each touched
   * Conv2D/DepthwiseConv2D/Dense layer's kept channels so their pre-activation mean and standard
   * deviation on `batches` training batches match the dense model's (BatchNorm recalibration in folded
   * form, for models whose BatchNormalization was folded into the convolutions). Default off.
   */
  recalibrate?: RecalibrateOptions;
  /** Structured: how member scores of a channel are combined over its group; default `mean`. */
  reduction?: GroupReduction;
  /** Structured, global scope: largest fraction of any one group removed; default 0.9. */
  maxSparsity?: number;
  /** Layers to prune (default every Dense/Conv2D except the output layer) and per-layer target overrides (structured: per group, by layer name or group id). */
  layers?: LayerSelection & { overrides?: Readonly<Record<string, number>> };
  /** Fine-tuning after/while pruning; default no fine-tuning (0 epochs). */
  finetune?: FinetuneOptions;
  seed?: number;
  /** Exports to ONNX to report the raw and gzip size; default `@shrinkray/onnx-io`'s exporter; `false` skips. */
  exportOnnx?: false | ((model: tfl.LayersModel) => Promise<Uint8Array>);
  onEvent?: (event: PruneEvent) => void;
  signal?: AbortSignal;
}

/** One layer in the report. */
export interface LayerReport {
  layer: string;
  className: string;
  /** Unstructured: fraction of kernel weights that are zero. Structured: fraction of units/filters removed. */
  sparsity: number;
  /** Kernel weights before and after (physically; structured pruning shrinks them). */
  weights: { before: number; after: number; zerosAfter: number };
  /** Units/filters before and after. */
  units: { before: number; after: number };
}

/** What `prune` measured. */
export interface PruneReport {
  structured: boolean;
  criterion: string;
  scope: Scope;
  schedule: string;
  mode: string;
  /** The sparsity asked for. */
  targetSparsity: number;
  /** Over the pruned layers: zero fraction of their kernels (unstructured) or removed fraction of their units (structured). */
  sparsity: number;
  /** Zero (or removed) fraction of all parameters of the model, pruned layers or not. */
  modelSparsity: number;
  layers: LayerReport[];
  /**
   * `before`/`after`: non-zero parameters (what a sparse or compressed format must store).
   * `storedBefore`/`storedAfter`: parameters physically in the model (shrinks only with `structured`).
   */
  params: { before: number; after: number; storedBefore: number; storedAfter: number };
  /** Test accuracy (when `data.test` is given). */
  accuracy?: { before: number; after: number };
  /** ONNX file size of the input and pruned models, raw and gzip-compressed (unless `exportOnnx: false`). */
  onnx?: { before: { bytes: number; gzipBytes: number }; after: { bytes: number; gzipBytes: number } };
  /** Pruning updates applied. */
  updates: PruneUpdate[];
  /** Multiply-accumulates of one example before and after, in total and per layer. */
  macs?: MacsComparison;
  /** Structured: every dependency group, pruned, ignored or blocked, with channels before/after. */
  groups?: GroupReport[];
  /** Structured: layers the group builder does not understand (their input channels stay unpruned). */
  unsupported?: Blocker[];
  /** Structured: pruning steps. */
  steps?: number;
  /** Structured with `recalibrate`: what the last step's recalibration corrected. */
  recalibration?: RecalibrationReport;
  finetune?: { epochs: number; steps: number; backend: string; samplesPerSecond: number; resumedFromEpoch: number | null; batchNorm?: BatchNormReport };
}

/** Fine-tuning with re-inserted BatchNormalization (`finetune.batchNorm`): what was inserted and folded back. */
export interface BatchNormReport {
  /** Convolutions a BatchNormalization layer was inserted after (in the last prune step). */
  inserted: string[];
  /** Convolutions left alone, with the reason. */
  skipped: { layer: string; reason: string }[];
  /** Rows the initial statistics were measured on. */
  rows: number;
  /** How the inserted layers' γ and β started (`BatchNormReinsertOptions.init`). */
  init: BatchNormInit;
}

/** Progress of `prune`, as a tagged union. */
export type PruneEvent =
  | { type: 'evaluate'; phase: 'before' | 'after'; accuracy: number }
  | { type: 'prune'; step: number; sparsity: number }
  | { type: 'finalize'; step: number }
  | { type: 'train'; event: TrainEvent }
  | { type: 'plan'; groups: GroupReport[]; macs: number }
  | { type: 'surgery'; removed: Record<string, number> }
  | { type: 'recalibrate'; step: number; report: RecalibrationReport }
  | { type: 'batch-norm'; step: number; phase: 'inserted' | 'folded'; layers: number }
  | { type: 'export'; phase: 'before' | 'after'; bytes: number; gzipBytes: number }
  | { type: 'done'; report: PruneReport };

/** What `prune` returns: the pruned model (a new one) and the report. */
export interface PruneResult {
  model: tfl.LayersModel;
  report: PruneReport;
}

function resolve<T extends { name: string }>(value: string | T | undefined, fallback: string, registry: { get(name: string): T }): T {
  if (value === undefined) return registry.get(fallback);
  return typeof value === 'string' ? registry.get(value) : value;
}

function kernelZeros(model: tfl.LayersModel, layer: string): { total: number; zeros: number } {
  const kernel = kernelOf(model.getLayer(layer))!;
  const data = kernel.read().dataSync();
  let zeros = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 0) zeros++;
  return { total: data.length, zeros };
}

/** Checks `finetune.batchNorm` before any data is read: a known value, with fine-tuning to do and no checkpoints. */
function checkFinetuneBatchNorm(finetune: FinetuneOptions | undefined, epochs: number): void {
  const bn = finetune?.batchNorm;
  if (bn === undefined || bn === 'none') return;
  if (bn !== 'reinsert') {
    if (typeof bn !== 'object' || bn === null) throw new ConfigError('finetune.batchNorm', `expected 'none', 'reinsert' or { momentum?, epsilon?, init? }, got ${JSON.stringify(bn)}`);
    checkBatchNormOptions(bn, 'finetune.batchNorm');
  }
  if (epochs < 1) throw new ConfigError('finetune.batchNorm', 're-inserting BatchNormalization needs fine-tuning (finetune.epochs >= 1)');
  if (finetune?.checkpointDir || finetune?.resume) throw new ConfigError('finetune.batchNorm', 'checkpoints and resume are not supported while BatchNormalization is re-inserted (the trained model has extra layers)');
}

/**
 * Gradual structured schedules and soft decay mask each layer's units on its own, which only works
 * on plain chains: refuse coupled groups (residual merges, depthwise convolutions) before any data is
 * read, pointing at one-shot pruning with steps.
 */
function refuseCoupledGroups(model: tfl.LayersModel): void {
  const coupled = buildGroups(model).groups.filter((g) => g.blockers.length === 0 && (g.producers.length > 1 || g.members.some((m) => m.className === 'DepthwiseConv2D')));
  if (coupled.length > 0) {
    const g = coupled[0]!;
    throw new ConfigError('schedule', `gradual structured schedules and soft-decay prune plain chains only; group ${g.id} couples ${g.members.map((m) => m.layer).join(', ')} (use the one-shot schedule with steps instead)`);
  }
}

/**
 * Prunes a copy of a tfjs model and fine-tunes it: scores weights (or units) with a criterion, selects
 * the least important per layer or globally following a schedule, applies the mode after every
 * optimizer step (hard masks keep pruned weights exactly zero through fine-tuning; `soft-decay` lets
 * them fade and recover until the schedule's end), and, when `structured`, physically removes the
 * pruned units/filters at the end. Returns the pruned model and a report; progress goes to `onEvent`.
 * Structured one-shot hard pruning (the structured default) goes by dependency groups (`pruneByGroups`):
 * residual, depthwise and concatenated channels are removed together, with `roundTo`, `ignore` and
 * `steps`, and every structural decision is made before any data is read.
 *
 * @example
 * const { model: pruned, report } = await prune({
 *   model, data: { train, test }, sparsity: 0.9, schedule: 'polynomial',
 *   finetune: { epochs: 3 }, seed: 1,
 * });
 * console.log(report.sparsity, report.accuracy);
 */
export async function prune(options: PruneOptions): Promise<PruneResult> {
  await initBackend();
  const emit = (event: PruneEvent): void => options.onEvent?.(event);
  const structured = options.structured ?? false;
  const scope = options.scope ?? 'layer';
  if (scope !== 'layer' && scope !== 'global') throw new ConfigError('scope', `expected 'layer' or 'global', got '${String(scope)}'`);
  checkSparsity(null, options.sparsity);
  const train0 = options.data?.train;
  if (!isDataset(train0)) throw new ConfigError('data.train', 'must be a Dataset (openData(...).train or Dataset.fromArrays(x, y))');
  const wrappedInput = new TfjsModel(options.model);
  checkModelFitsData(wrappedInput, train0);
  if (options.data.test) checkModelFitsData(wrappedInput, options.data.test);
  for (const [layer, s] of Object.entries(options.layers?.overrides ?? {})) checkSparsity(layer, s);
  const criterion = resolve(options.criterion, 'l1', criteria);
  const schedule = resolve(options.schedule, 'one-shot', schedules);
  const mode = resolve(options.mode, 'hard', modes);
  const seed = options.seed ?? 0;
  const epochs = options.finetune?.epochs ?? 0;
  const batchSize = options.finetune?.batchSize ?? 128;
  if (!Number.isInteger(epochs) || epochs < 0) throw new ConfigError('finetune.epochs', `must be a non-negative integer, got ${epochs}`);

  if (options.recalibrate !== undefined) checkRecalibrateOptions(options.recalibrate);
  checkFinetuneBatchNorm(options.finetune, epochs);
  if (structured && schedule.name === 'one-shot' && mode.name === hard.name) {
    return pruneByGroups(options, { criterion, scope, seed, epochs, batchSize, emit });
  }
  for (const name of ['roundTo', 'ignore', 'steps', 'reduction', 'maxSparsity', 'recalibrate'] as const) {
    if (options[name] !== undefined) throw new ConfigError(name, 'applies to structured pruning with the one-shot schedule and hard mode only');
  }
  if (reinsertsBatchNorm(options.finetune?.batchNorm)) throw new ConfigError('finetune.batchNorm', 'applies to structured pruning with the one-shot schedule and hard mode only');
  if (structured) refuseCoupledGroups(options.model);

  const model = await cloneModel(options.model);
  const layers: PrunableLayer[] = prunableLayers(model, options.layers);
  if (layers.length === 0) throw new ConfigError('layers', `model ${model.name} has no Dense or Conv2D layer to prune (the output layer is excluded unless includeOutputLayer)`);
  for (const name of Object.keys(options.layers?.overrides ?? {})) {
    if (!layers.some((l) => l.name === name)) throw new ConfigError('layers.overrides', `layer ${name} is not among the pruned layers: ${layers.map((l) => l.name).join(', ')}`);
  }

  const storedBefore = countParams(options.model);
  const nonzeroBefore = countNonzeroParams(options.model);
  let accuracyBefore: number | undefined;
  if (options.data.test) {
    accuracyBefore = await modelAccuracy(options.model, options.data.test);
    emit({ type: 'evaluate', phase: 'before', accuracy: accuracyBefore });
  }

  const rows = options.data.train.size;
  const totalSteps = epochs * Math.ceil(rows / batchSize);
  const so = options.scheduleOptions ?? {};
  const begin = Math.round((so.begin ?? 0) * totalSteps);
  const end = Math.max(begin, Math.round((so.end ?? 0.5) * totalSteps));
  const frequency = so.frequency ?? Math.max(1, Math.round((end - begin) / 16));
  const plan = schedule.plan({ target: options.sparsity, initial: so.initial ?? 0, begin, end, frequency });
  const finalStep = end;
  const decayRate = options.decayRate ?? 8 / Math.max(1, end - begin);

  const pruner = new Pruner(model, {
    layers,
    criterion,
    mode,
    scope,
    structured,
    decayRate,
    seed,
    ...(options.layers?.overrides ? { overrides: options.layers.overrides } : {}),
    gradients: () => kernelGradients(model, layers.map((l) => l.name), options.data.train, { seed }),
  });
  pruner.finalTarget = options.sparsity;
  const updates: PruneUpdate[] = [];
  const events = new Map(plan.map((e) => [e.step, e.sparsity]));

  const update = async (step: number): Promise<void> => {
    if (pruner.isFinalized) {
      pruner.step(step);
      return;
    }
    if (step >= finalStep) {
      await pruner.select(step, options.sparsity);
      updates.push({ step, sparsity: options.sparsity });
      emit({ type: 'prune', step, sparsity: options.sparsity });
      pruner.finalize();
      emit({ type: 'finalize', step });
      return;
    }
    const s = events.get(step);
    if (s !== undefined) {
      await pruner.select(step, s);
      updates.push({ step, sparsity: s });
      emit({ type: 'prune', step, sparsity: s });
    }
    pruner.step(step);
  };

  let history: Awaited<ReturnType<typeof train>>['history'] | undefined;
  let resumedFromEpoch: number | null = null;
  // Structured one-shot hard pruning: the removed units are dead from step 0, so the surgery can come
  // first and fine-tuning runs on the smaller model (same function, fewer FLOPs).
  const surgeryFirst = structured && mode.name === hard.name && plan.length === 1 && plan[0]!.step === 0;
  let pruned: tfl.LayersModel | undefined;
  const surgery = async (): Promise<tfl.LayersModel> => {
    const removed = pruner.selectedUnits();
    emit({ type: 'surgery', removed: Object.fromEntries([...removed].map(([k, v]) => [k, v.length])) });
    const small = await removeUnits(model, removed);
    model.dispose();
    return small;
  };
  try {
    await update(0);
    if (surgeryFirst) {
      pruner.finalize();
      emit({ type: 'finalize', step: 0 });
      pruned = await surgery();
    }
    if (epochs > 0) {
      const ft = options.finetune!;
      const result = await train({
        model: pruned ?? model,
        data: options.data.train,
        optimizer: ft.optimizer ?? { name: 'adam', learningRate: 1e-3 },
        epochs,
        batchSize,
        seed,
        ...(ft.checkpointDir ? { checkpointDir: ft.checkpointDir } : {}),
        ...(ft.resume ? { resume: true } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(surgeryFirst ? {} : { afterStep: (info: { step: number }) => update(info.step) }),
        // The masks and the schedule's updates live in the same atomic checkpoint as the weights.
        extraState: {
          prune: {
            save: () => ({ json: { pruner: pruner.getState(), updates } }),
            restore: ({ json }) => {
              const saved = json as { pruner: ReturnType<Pruner['getState']>; updates: PruneUpdate[] };
              pruner.setState(saved.pruner);
              updates.splice(0, updates.length, ...saved.updates);
            },
          },
        },
        onEvent: (event) => {
          if (event.type === 'resume') resumedFromEpoch = event.epoch;
          emit({ type: 'train', event });
        },
      });
      history = result.history;
    }
    if (!pruner.isFinalized) await update(Math.max(finalStep, totalSteps));
  } finally {
    pruner.dispose();
  }

  if (!pruned) pruned = structured ? await surgery() : model;

  const layerReports: LayerReport[] = layers.map((l) => {
    const { total, zeros } = kernelZeros(pruned, l.name);
    const unitsAfter = structured ? (kernelOf(pruned.getLayer(l.name))!.shape.at(-1) as number) : l.units;
    const before = l.kernelShape.reduce((a, b) => a * b, 1);
    return {
      layer: l.name,
      className: l.className,
      sparsity: structured ? 1 - unitsAfter / l.units : zeros / total,
      weights: { before, after: total, zerosAfter: zeros },
      units: { before: l.units, after: unitsAfter },
    };
  });
  const sparsity = structured
    ? 1 - layerReports.reduce((n, l) => n + l.units.after, 0) / layerReports.reduce((n, l) => n + l.units.before, 0)
    : layerReports.reduce((n, l) => n + l.weights.zerosAfter, 0) / layerReports.reduce((n, l) => n + l.weights.after, 0);
  const storedAfter = countParams(pruned);
  const nonzeroAfter = countNonzeroParams(pruned);

  const report: PruneReport = {
    structured,
    criterion: criterion.name,
    scope,
    schedule: schedule.name,
    mode: mode.name,
    targetSparsity: options.sparsity,
    sparsity,
    modelSparsity: 1 - nonzeroAfter / storedBefore,
    layers: layerReports,
    params: { before: nonzeroBefore, after: nonzeroAfter, storedBefore, storedAfter },
    updates,
    macs: compareMacs(countMacs(options.model), countMacs(pruned)),
  };
  if (history) report.finetune = { epochs: history.epochs.length, steps: totalSteps, backend: history.backend, samplesPerSecond: history.samplesPerSecond, resumedFromEpoch };
  if (options.data.test) {
    const after = await modelAccuracy(pruned, options.data.test);
    emit({ type: 'evaluate', phase: 'after', accuracy: after });
    report.accuracy = { before: accuracyBefore!, after };
  }
  const exporter = options.exportOnnx === false ? undefined : (options.exportOnnx ?? toOnnxBytes);
  if (exporter) {
    const before = await onnxSize(exporter, options.model);
    emit({ type: 'export', phase: 'before', ...before });
    const after = await onnxSize(exporter, pruned);
    emit({ type: 'export', phase: 'after', ...after });
    report.onnx = { before, after };
  }
  emit({ type: 'done', report });
  return { model: pruned, report };
}
