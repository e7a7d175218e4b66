import { ConfigError, Rng, tf, type tfl } from '@shrinkray/tensor-core';
import { type Criterion, scoreUnits, unitCount } from './criteria.js';
import { followingBatchNorms, kernelOf, outputLayerNames, prunableClasses, weightRole } from './graph.js';
import { type LayerScores, type Scope, selectMasks, sparsityOf } from './masks.js';
import type { Mode } from './modes.js';

type Layer = tfl.layers.Layer;
type LayerVariable = Layer['weights'][number];

/** Which layers to prune. */
export interface LayerSelection {
  /** Layer names never pruned. */
  exclude?: readonly string[];
  /** Prune the layer that produces the model output too (off by default: it would remove classes). */
  includeOutputLayer?: boolean;
  /** Prune only these layers (default: every Dense, Conv2D, Conv1D and Embedding not excluded). */
  only?: readonly string[];
}

/** A prunable layer of a model. */
export interface PrunableLayer {
  readonly name: string;
  readonly className: string;
  readonly kernelShape: readonly number[];
  /** Output units (Dense), filters (Conv2D/Conv1D) or embedding dimensions (Embedding). */
  readonly units: number;
}

/**
 * The Dense, Conv2D, Conv1D and Embedding layers of a model that will be pruned: all with a kernel, minus excluded ones,
 * minus the output layer unless `includeOutputLayer`. Throws `ConfigError` for a named layer the
 * model does not have.
 */
export function prunableLayers(model: tfl.LayersModel, selection: LayerSelection = {}): PrunableLayer[] {
  const names = new Set(model.layers.map((l) => l.name));
  for (const n of [...(selection.exclude ?? []), ...(selection.only ?? [])]) {
    if (!names.has(n)) throw new ConfigError('layers', `model ${model.name} has no layer '${n}'; layers: ${[...names].join(', ')}`);
  }
  const outputs = outputLayerNames(model);
  const out: PrunableLayer[] = [];
  for (const layer of model.layers) {
    if (!prunableClasses.has(layer.getClassName())) continue;
    if (selection.exclude?.includes(layer.name)) continue;
    if (selection.only && !selection.only.includes(layer.name)) continue;
    if (!selection.only && !selection.includeOutputLayer && outputs.has(layer.name)) continue;
    const kernel = kernelOf(layer);
    if (!kernel) continue;
    out.push({ name: layer.name, className: layer.getClassName(), kernelShape: [...kernel.shape] as number[], units: unitCount(kernel.shape as number[]) });
  }
  return out;
}

/** Options of a `Pruner`. */
export interface PrunerOptions {
  layers: readonly PrunableLayer[];
  criterion: Criterion;
  mode: Mode;
  scope: Scope;
  /** Remove whole units/filters (masks over the kernel's last axis, the bias and a following BatchNorm's gamma/beta). */
  structured: boolean;
  /** Per-layer target sparsities that replace the shared one. */
  overrides?: Readonly<Record<string, number>>;
  /** Decay per step for `soft-decay`. */
  decayRate?: number;
  seed?: number;
  /** Mean kernel gradients per layer, for criteria that need them; called at each selection. */
  gradients?: () => Promise<Map<string, Float32Array>> | Map<string, Float32Array>;
}

interface MaskedLayer {
  info: PrunableLayer;
  kernel: LayerVariable;
  /** Unit-shaped variables masked with the units (structured): bias, BN gamma/beta. */
  unitVars: LayerVariable[];
  /** 1 = selected for pruning; per kernel weight, or per unit when structured. */
  selected: Uint8Array;
  /** Step at which each element was selected, -1 when not selected. */
  selectedAt: Int32Array;
  factor?: tf.Tensor;
}

/** Per-layer sparsity numbers. */
export interface LayerSparsity {
  layer: string;
  /** Fraction of kernel weights that are exactly zero. */
  sparsity: number;
  /** Units (structured) or weights (unstructured) selected for pruning. */
  selected: number;
  /** Units or weights of the layer. */
  total: number;
}

/**
 * Keeps pruning masks on a tfjs model: `select` chooses the least important weights/units at a
 * sparsity, `step` applies the mode after every optimizer step (hard masks keep pruned weights
 * exactly zero), `finalize` zeroes every selected element for good.
 */
export class Pruner {
  readonly model: tfl.LayersModel;
  private readonly options: PrunerOptions;
  private readonly layers: MaskedLayer[];
  private readonly rng: Rng;
  private finalized = false;

  constructor(model: tfl.LayersModel, options: PrunerOptions) {
    this.model = model;
    this.options = options;
    this.rng = new Rng(options.seed ?? 0);
    this.layers = options.layers.map((info) => {
      const layer = model.getLayer(info.name);
      const kernel = kernelOf(layer);
      if (!kernel) throw new ConfigError('layers', `layer ${info.name} has no kernel`);
      const unitVars: LayerVariable[] = [];
      if (options.structured) {
        const bias = layer.weights.find((w) => weightRole(w) === 'bias');
        if (bias) unitVars.push(bias);
        for (const bn of followingBatchNorms(layer)) unitVars.push(...bn.weights.filter((w) => ['gamma', 'beta'].includes(weightRole(w))));
      }
      const n = options.structured ? info.units : kernel.shape.reduce((a: number, b) => a * (b ?? 1), 1);
      return { info, kernel, unitVars, selected: new Uint8Array(n), selectedAt: new Int32Array(n).fill(-1) };
    });
  }

  get isFinalized(): boolean {
    return this.finalized;
  }

  /**
   * Selects, at `sparsity`, the least important elements of every layer by the criterion on the
   * current weights. Elements no longer selected are released (their decay restarts if re-selected).
   */
  async select(step: number, sparsity: number): Promise<void> {
    const { criterion, structured, scope, overrides } = this.options;
    const grads = criterion.needsGradients && this.options.gradients ? await this.options.gradients() : undefined;
    const scored: LayerScores[] = this.layers.map((l) => {
      const weights = l.kernel.read().dataSync() as Float32Array;
      const ctx = { layer: l.info.name, weights, shape: l.info.kernelShape, rng: this.rng, seed: this.options.seed ?? 0, ...(grads?.get(l.info.name) ? { gradients: grads.get(l.info.name)! } : {}) };
      let scores = structured ? scoreUnits(criterion, ctx) : criterion.scoreWeights(ctx);
      if (structured && scope === 'global') {
        // Unit norms grow with fan-in; rank units across layers relative to their layer's mean.
        const mean = scores.reduce((a, b) => a + b, 0) / Math.max(1, scores.length);
        scores = mean > 0 ? scores.map((s) => s / mean) : scores;
      }
      const override = overrides?.[l.info.name];
      const what = structured ? (l.info.className.startsWith('Conv') ? ('filters' as const) : ('units' as const)) : ('weights' as const);
      return { layer: l.info.name, scores, what, ...(override !== undefined ? { override: scaleOverride(override, sparsity, this.finalTarget) } : {}) };
    });
    const masks = selectMasks(scored, sparsity, scope);
    for (const l of this.layers) {
      const keep = masks.get(l.info.name)!;
      for (let i = 0; i < keep.length; i++) {
        if (keep[i] === 0) {
          if (l.selected[i] === 0) l.selectedAt[i] = step;
          l.selected[i] = 1;
        } else {
          l.selected[i] = 0;
          l.selectedAt[i] = -1;
        }
      }
      l.factor?.dispose();
      l.factor = undefined;
    }
  }

  /** The final target the overrides are relative to (set by the driver; overrides ramp with the schedule). */
  finalTarget = 0;

  /** Applies the mode to every masked value; call after every optimizer step (and after `select`). */
  step(step: number): void {
    const mode = this.finalized ? undefined : this.options.mode;
    for (const l of this.layers) {
      if (!l.factor || mode?.usesSteps) {
        l.factor?.dispose();
        l.factor = tf.tidy(() => {
          const shape = this.options.structured ? [l.info.units] : l.info.kernelShape;
          const selected = tf.tensor(Float32Array.from(l.selected), [...shape], 'float32');
          if (!mode) return tf.sub(1, selected);
          const since = Float32Array.from(l.selectedAt, (s) => (s < 0 ? 0 : step - s));
          return mode.factor({ selected, stepsSinceSelection: tf.tensor(since, [...shape], 'float32'), decayRate: this.options.decayRate ?? 0 });
        });
      }
      const factor = l.factor;
      tf.tidy(() => {
        l.kernel.write(tf.mul(l.kernel.read(), factor));
        for (const v of l.unitVars) v.write(tf.mul(v.read(), factor));
      });
    }
  }

  /** Zeroes every selected element for good: from now on `step` enforces hard masks. */
  finalize(): void {
    this.finalized = true;
    for (const l of this.layers) {
      l.factor?.dispose();
      l.factor = undefined;
    }
    this.step(0);
  }

  /** Units removed per layer (structured), as sorted indices. */
  selectedUnits(): Map<string, Int32Array> {
    const out = new Map<string, Int32Array>();
    for (const l of this.layers) {
      const idx: number[] = [];
      l.selected.forEach((s, i) => {
        if (s) idx.push(i);
      });
      out.set(l.info.name, Int32Array.from(idx));
    }
    return out;
  }

  /** Sparsity of every masked layer's kernel, as it is now. */
  sparsity(): LayerSparsity[] {
    return this.layers.map((l) => ({
      layer: l.info.name,
      sparsity: sparsityOf(l.kernel.read().dataSync()),
      selected: l.selected.reduce((a: number, b) => a + b, 0),
      total: l.selected.length,
    }));
  }

  /** Mask state for a checkpoint. */
  getState(): { finalized: boolean; rng: number; layers: Record<string, { selectedAt: number[] }> } {
    return { finalized: this.finalized, rng: this.rng.getState(), layers: Object.fromEntries(this.layers.map((l) => [l.info.name, { selectedAt: [...l.selectedAt] }])) };
  }

  /** Restores `getState()`. */
  setState(state: ReturnType<Pruner['getState']>): void {
    this.finalized = state.finalized;
    this.rng.setState(state.rng);
    for (const l of this.layers) {
      const s = state.layers[l.info.name];
      if (!s || s.selectedAt.length !== l.selectedAt.length) throw new ConfigError('resume', `pruning state has no matching mask for layer ${l.info.name}`);
      l.selectedAt.set(s.selectedAt);
      for (let i = 0; i < l.selected.length; i++) l.selected[i] = l.selectedAt[i]! >= 0 ? 1 : 0;
      l.factor?.dispose();
      l.factor = undefined;
    }
  }

  dispose(): void {
    for (const l of this.layers) l.factor?.dispose();
  }
}

/** A per-layer override ramps with the schedule in proportion to the shared target. */
function scaleOverride(override: number, current: number, target: number): number {
  if (target <= 0 || current >= target) return override;
  return override * (current / target);
}
