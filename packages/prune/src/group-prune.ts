import { ConfigError, cloneModel, type TrainEvent, type tf, train, type tfl } from '@shrinkray/tensor-core';
import { type BatchNormInsertion, checkBatchNormOptions, foldBatchNorm, insertBatchNorm, reinsertsBatchNorm } from './batch-norm.js';
import type { Criterion } from './criteria.js';
import { UnprunableStructureError } from './errors/unprunable-structure-error.js';
import { modelAccuracy } from './evaluate.js';
import { onnxSize, toOnnxBytes } from './files.js';
import { kernelGradients } from './gradients.js';
import { groupImportance } from './group-importance.js';
import { type GroupCandidate, keptChannels, selectGroupChannels } from './group-selection.js';
import { keptOutputChannels, removeGroupChannels } from './group-surgery.js';
import { type Blocker, buildGroups, type DependencyGraph, type DependencyGroup } from './groups.js';
import { compareMacs, countMacs } from './macs.js';
import type { BatchNormReport, LayerReport, PruneOptions, PruneEvent, PruneReport, PruneResult } from './prune.js';
import { calibrationBatches, type ChannelStatistics, channelStatistics, checkRecalibrateOptions, type RecalibrationReport, recalibrate, touchedLayers } from './recalibrate.js';
import { countNonzeroParams, countParams } from './surgery.js';

/** Training batches (of 64) BatchNormalization re-insertion measures its initial statistics on when there is no recalibration. */
const BN_BATCHES = 16;

/** One dependency group in a report. */
export interface GroupReport {
  id: string;
  /** Layers whose output channels the group holds. */
  producers: string[];
  /** Every member, as `layer:role` (`out` producer, `in` consumer, `channel` BatchNormalization/depthwise). */
  members: string[];
  /** `pruned`: a candidate (it may still lose 0 channels at a small target); `ignored`: by the user; `blocked`: see `blockers`. */
  status: 'pruned' | 'ignored' | 'blocked';
  channels: { before: number; after: number };
  /** Channels removed (`before - after`). */
  removed: number;
  blockers: Blocker[];
}

/** What the structural plan decided, before any data is read or any training step runs. */
export interface GroupPlan {
  graph: DependencyGraph;
  /** Group ids that will be pruned, with their override sparsity when one applies. */
  candidates: Map<string, number | undefined>;
  groups: GroupReport[];
}

const key = (g: DependencyGroup): string => g.producers.join(',');

function matches(g: DependencyGroup, name: string): boolean {
  return g.id === name || g.members.some((m) => m.layer === name && m.role !== 'in');
}

/**
 * Builds the dependency groups of a model and decides which are pruned, before any data is touched:
 * `ignore` (layer names or group ids; `layers.exclude` too) takes groups out, `layers.only` keeps only
 * the groups of those layers, `layers.overrides` (by layer or group id) sets a group's own sparsity.
 * A layer the user named (in `only` or `overrides`) whose group is blocked raises
 * `UnprunableStructureError` naming the blocking node; an unknown name raises `ConfigError`.
 */
export function planGroups(model: tfl.LayersModel, options: Pick<PruneOptions, 'ignore' | 'layers' | 'sparsity' | 'roundTo'>): GroupPlan {
  const graph = buildGroups(model);
  const ignore = [...(options.ignore ?? []), ...(options.layers?.exclude ?? [])];
  const only = options.layers?.only;
  const overrides = options.layers?.overrides ?? {};
  const known = (name: string, what: string): void => {
    if (!graph.groups.some((g) => g.id === name) && !model.layers.some((l) => l.name === name)) {
      throw new ConfigError(what, `model ${model.name} has no layer or group '${name}'; groups: ${graph.groups.map((g) => `${g.id} (${g.producers.join(', ')})`).join('; ')}`);
    }
  };
  for (const name of ignore) known(name, 'ignore');
  for (const name of [...(only ?? []), ...Object.keys(overrides)]) {
    known(name, only?.includes(name) ? 'layers.only' : 'layers.overrides');
    const g = graph.groups.find((x) => matches(x, name));
    if (!g) throw new ConfigError('layers', `layer ${name} makes no channels of its own (it has no group to prune)`);
    const b = g.blockers[0];
    if (b) throw new UnprunableStructureError(b.layer, `${b.className} ${b.reason}; layer ${name} (group ${g.id}) cannot be pruned`);
  }
  const candidates = new Map<string, number | undefined>();
  const groups: GroupReport[] = graph.groups.map((g) => {
    let status: GroupReport['status'] = 'pruned';
    if (g.blockers.length > 0) status = 'blocked';
    else if (ignore.some((n) => matches(g, n)) || (only && !only.some((n) => matches(g, n)))) status = 'ignored';
    if (status === 'pruned') {
      const override = Object.entries(overrides).find(([n]) => matches(g, n))?.[1];
      candidates.set(g.id, override);
      keptChannels(g.classes.length, override ?? options.sparsity, options.roundTo, g.producers[0], g.members.some((m) => m.className === 'Dense' && m.role === 'out') ? 'units' : 'filters');
    }
    return {
      id: g.id,
      producers: [...g.producers],
      members: g.members.map((m) => `${m.layer}:${m.role}`),
      status,
      channels: { before: g.classes.length, after: g.classes.length },
      removed: 0,
      blockers: [...g.blockers],
    };
  });
  if (candidates.size === 0) {
    throw new ConfigError('layers', `model ${model.name} has no dependency group to prune: ${groups.map((g) => `${g.id} ${g.status}${g.blockers[0] ? ` (${g.blockers[0].layer}: ${g.blockers[0].reason})` : ''}`).join('; ')}`);
  }
  return { graph, candidates, groups };
}

function units(model: tfl.LayersModel, layer: string): { kernel: number; units: number } {
  const w = model.getLayer(layer).getWeights()[0]!;
  return { kernel: w.size, units: w.shape[w.shape.length - 1]! };
}

/** Resolved settings `prune()` passes on. */
export interface GroupPruneContext {
  criterion: Criterion;
  scope: 'layer' | 'global';
  seed: number;
  epochs: number;
  batchSize: number;
  emit: (event: PruneEvent) => void;
}

/**
 * Structured pruning by dependency groups (`prune({ structured: true })` with the one-shot schedule and
 * hard mode): the plan is made first (groups, refusals, target counts), then for each of `steps`
 * steps the groups are scored on the current weights, `target·step/steps` of every group's original
 * channels are removed (rounded to `roundTo`) from every member at once, and the smaller model is
 * fine-tuned for `finetune.epochs` epochs.
 */
export async function pruneByGroups(options: PruneOptions, ctx: GroupPruneContext): Promise<PruneResult> {
  const steps = options.steps ?? 1;
  if (!Number.isInteger(steps) || steps < 1) throw new ConfigError('steps', `must be a positive integer, got ${steps}`);
  if (steps > 1 && (options.finetune?.checkpointDir || options.finetune?.resume)) throw new ConfigError('steps', 'checkpoints and resume need steps = 1 (the model changes shape at every step)');
  const recal = options.recalibrate === undefined ? undefined : checkRecalibrateOptions(options.recalibrate);
  const original = await cloneModel(options.model);
  const plan = planGroups(original, options);
  const originalChannels = new Map(plan.graph.groups.map((g) => [key(g), g.classes.length]));
  const producers = plan.graph.groups.filter((g) => plan.candidates.has(g.id)).flatMap((g) => g.producers);
  const macsBefore = countMacs(original);
  ctx.emit({ type: 'plan', groups: plan.groups, macs: macsBefore.total });

  const storedBefore = countParams(options.model);
  const nonzeroBefore = countNonzeroParams(options.model);
  let accuracyBefore: number | undefined;
  if (options.data.test) {
    accuracyBefore = await modelAccuracy(options.model, options.data.test);
    ctx.emit({ type: 'evaluate', phase: 'before', accuracy: accuracyBefore });
  }

  let model = original;
  let finetune: PruneReport['finetune'];
  const updates: PruneReport['updates'] = [];
  let totalSteps = 0;
  let resumedFromEpoch: number | null = null;
  // recalibration: the calibration inputs and dense statistics are read once; `origin` maps each
  // producer's current output channels to the dense model's across steps
  const calibration = recal ? await calibrationBatches(options.data.train, recal, ctx.seed) : [];
  const denseStatistics = new Map<string, ChannelStatistics>();
  const origin = new Map<string, Int32Array>();
  let recalibration: RecalibrationReport | undefined;
  // BatchNormalization re-insertion measures its initial statistics on the calibration batches (or its own)
  let bnInputs: tf.Tensor[] = [];
  let batchNorm: BatchNormReport | undefined;
  for (let step = 1; step <= steps; step++) {
    const target = (options.sparsity * step) / steps;
    const graph = step === 1 ? plan.graph : buildGroups(model);
    const byKey = new Map(plan.graph.groups.map((g) => [key(g), g.id]));
    const gradients = ctx.criterion.needsGradients ? await kernelGradients(model, [...new Set(graph.members.filter((m) => m.className !== 'BatchNormalization').map((m) => m.layer))], options.data.train, { seed: ctx.seed + step }) : undefined;
    const scores = groupImportance(model, graph, ctx.criterion, { ...(options.reduction ? { reduction: options.reduction } : {}), seed: ctx.seed, ...(gradients ? { gradients } : {}) });
    const candidates: GroupCandidate[] = [];
    for (const g of graph.groups) {
      const id = byKey.get(key(g));
      if (id === undefined || !plan.candidates.has(id)) continue;
      const override = plan.candidates.get(id);
      candidates.push({ id: g.id, scores: scores.get(g.id)!, original: originalChannels.get(key(g))!, ...(override !== undefined ? { override: (override * step) / steps } : {}) });
    }
    const removals = selectGroupChannels(candidates, { target, scope: ctx.scope, ...(options.roundTo ? { roundTo: options.roundTo } : {}), ...(options.maxSparsity !== undefined ? { maxSparsity: options.maxSparsity } : {}) });
    ctx.emit({ type: 'surgery', removed: Object.fromEntries([...removals].map(([id, list]) => [graph.groups.find((g) => g.id === id)!.producers.join(','), list.length])) });
    updates.push({ step: totalSteps, sparsity: target });
    const smaller = await removeGroupChannels(model, graph, removals);
    model.dispose();
    model = smaller;
    if (recal) {
      for (const [layer, kept] of keptOutputChannels(graph, removals)) {
        const before = origin.get(layer);
        origin.set(layer, before ? kept.map((j) => before[j]!) : kept);
      }
      const layers = touchedLayers(options.model, model);
      const missing = layers.filter((l) => !denseStatistics.has(l));
      if (missing.length > 0) for (const [l, s] of channelStatistics(options.model, missing, calibration)) denseStatistics.set(l, s);
      recalibration = recalibrate({ dense: options.model, pruned: model, inputs: calibration, denseStatistics, keptOutputs: origin, layers });
      ctx.emit({ type: 'recalibrate', step, report: recalibration });
    }
    if (ctx.epochs > 0) {
      const ft = options.finetune!;
      let insertion: BatchNormInsertion | undefined;
      if (reinsertsBatchNorm(ft.batchNorm)) {
        if (bnInputs.length === 0) bnInputs = calibration.length > 0 ? calibration : await calibrationBatches(options.data.train, checkRecalibrateOptions({ batches: BN_BATCHES }), ctx.seed);
        const bnOptions = checkBatchNormOptions(typeof ft.batchNorm === 'object' ? ft.batchNorm : {}, 'finetune.batchNorm');
        insertion = await insertBatchNorm(model, bnInputs, bnOptions);
        ctx.emit({ type: 'batch-norm', step, phase: 'inserted', layers: insertion.inserted.length });
        batchNorm = { inserted: insertion.inserted.map((e) => e.layer), skipped: insertion.skipped, rows: bnInputs.reduce((n, x) => n + x.shape[0]!, 0), init: bnOptions.init };
      }
      const result = await train({
        model: insertion?.model ?? model,
        data: options.data.train,
        optimizer: ft.optimizer ?? { name: 'adam', learningRate: 1e-3 },
        epochs: ctx.epochs,
        batchSize: ctx.batchSize,
        seed: ctx.seed + step - 1,
        ...(ft.checkpointDir ? { checkpointDir: ft.checkpointDir } : {}),
        ...(ft.resume ? { resume: true } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onEvent: (event: TrainEvent) => {
          if (event.type === 'resume') resumedFromEpoch = event.epoch;
          ctx.emit({ type: 'train', event });
        },
      });
      if (insertion) {
        const folded = await foldBatchNorm(insertion);
        insertion.model.dispose();
        model.dispose();
        model = folded;
        ctx.emit({ type: 'batch-norm', step, phase: 'folded', layers: insertion.inserted.length });
      }
      totalSteps += ctx.epochs * Math.ceil(options.data.train.size / ctx.batchSize);
      const h = result.history;
      finetune = {
        epochs: (finetune?.epochs ?? 0) + h.epochs.length,
        steps: totalSteps,
        backend: h.backend,
        // over every step's fine-tuning: the last step's model is the smallest, so this is its rate
        samplesPerSecond: h.samplesPerSecond,
        resumedFromEpoch,
        ...(batchNorm ? { batchNorm } : {}),
      };
    }
  }

  for (const x of new Set([...calibration, ...bnInputs])) x.dispose();
  const finalGraph = buildGroups(model);
  const finalCounts = new Map(finalGraph.groups.map((g) => [key(g), g.classes.length]));
  for (const g of plan.groups) {
    const after = finalCounts.get(g.producers.join(',')) ?? g.channels.before;
    g.channels.after = after;
    g.removed = g.channels.before - after;
  }
  const layerReports: LayerReport[] = producers.map((name) => {
    const before = units(options.model, name);
    const after = units(model, name);
    return { layer: name, className: model.getLayer(name).getClassName(), sparsity: 1 - after.units / before.units, weights: { before: before.kernel, after: after.kernel, zerosAfter: 0 }, units: { before: before.units, after: after.units } };
  });
  const nonzeroAfter = countNonzeroParams(model);
  const report: PruneReport = {
    structured: true,
    criterion: ctx.criterion.name,
    scope: ctx.scope,
    schedule: 'one-shot',
    mode: 'hard',
    targetSparsity: options.sparsity,
    sparsity: 1 - layerReports.reduce((n, l) => n + l.units.after, 0) / layerReports.reduce((n, l) => n + l.units.before, 0),
    modelSparsity: 1 - nonzeroAfter / storedBefore,
    layers: layerReports,
    params: { before: nonzeroBefore, after: nonzeroAfter, storedBefore, storedAfter: countParams(model) },
    updates,
    steps,
    groups: plan.groups,
    unsupported: [...plan.graph.unsupported],
    macs: compareMacs(macsBefore, countMacs(model)),
  };
  if (finetune) report.finetune = finetune;
  if (recalibration) report.recalibration = recalibration;
  if (options.data.test) {
    const after = await modelAccuracy(model, options.data.test);
    ctx.emit({ type: 'evaluate', phase: 'after', accuracy: after });
    report.accuracy = { before: accuracyBefore!, after };
  }
  const exporter = options.exportOnnx === false ? undefined : (options.exportOnnx ?? toOnnxBytes);
  if (exporter) {
    const before = await onnxSize(exporter, options.model);
    ctx.emit({ type: 'export', phase: 'before', ...before });
    const after = await onnxSize(exporter, model);
    ctx.emit({ type: 'export', phase: 'after', ...after });
    report.onnx = { before, after };
  }
  ctx.emit({ type: 'done', report });
  return { model, report };
}
