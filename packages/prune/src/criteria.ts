import { Registry, Rng } from '@shrinkray/tensor-core';

/** What a criterion sees of one layer's kernel. The output units are the kernel's last axis. */
export interface ScoreContext {
  /** Layer name, for messages. */
  readonly layer: string;
  /** Kernel values, row-major over `shape` (Dense `[in, out]`, Conv2D `[kh, kw, in, out]`). */
  readonly weights: Float32Array;
  readonly shape: readonly number[];
  /** Mean gradient of the loss w.r.t. the kernel over a few batches (present when `needsGradients`). */
  readonly gradients?: Float32Array;
  /** Seeded generator for criteria that draw random numbers (its state advances with every draw). */
  readonly rng: Rng;
  /** The run's seed, for criteria whose random scores must stay fixed across schedule updates. */
  readonly seed?: number;
}

/**
 * An importance criterion: higher score = more important = kept. `scoreWeights` scores every kernel
 * weight (unstructured pruning); `scoreUnits` scores every output unit / filter (structured pruning)
 * and defaults to the sum of the unit's weight scores.
 */
export interface Criterion {
  readonly name: string;
  readonly description?: string;
  /** Ask the driver for `gradients` (costs a few forward/backward passes). */
  readonly needsGradients?: boolean;
  scoreWeights(ctx: ScoreContext): Float32Array;
  scoreUnits?(ctx: ScoreContext): Float32Array;
}

/** Number of output units of a kernel (its last axis). */
export function unitCount(shape: readonly number[]): number {
  return shape[shape.length - 1] ?? 0;
}

/** Sums per-weight values into per-output-unit totals (the last axis is the unit). */
export function sumPerUnit(values: Float32Array, shape: readonly number[]): Float32Array {
  const units = unitCount(shape);
  const out = new Float32Array(units);
  for (let i = 0; i < values.length; i++) out[i % units]! += values[i]!;
  return out;
}

/** Unit scores of a criterion (its `scoreUnits`, else per-unit sums of `scoreWeights`). */
export function scoreUnits(criterion: Criterion, ctx: ScoreContext): Float32Array {
  return criterion.scoreUnits ? criterion.scoreUnits(ctx) : sumPerUnit(criterion.scoreWeights(ctx), ctx.shape);
}

function requireGradients(ctx: ScoreContext): Float32Array {
  if (!ctx.gradients || ctx.gradients.length !== ctx.weights.length) {
    throw new Error(`layer ${ctx.layer}: the taylor criterion needs gradients of the kernel (${ctx.weights.length} values)`);
  }
  return ctx.gradients;
}

/** `|w|`; units by L1 norm. */
export const l1: Criterion = {
  name: 'l1',
  description: 'magnitude |w|; units by L1 norm',
  scoreWeights: ({ weights }) => weights.map(Math.abs),
};

/** `w²` (same order as |w|); units by L2 norm. */
export const l2: Criterion = {
  name: 'l2',
  description: 'magnitude w²; units by L2 norm',
  scoreWeights: ({ weights }) => weights.map((w) => w * w),
  scoreUnits: (ctx) => sumPerUnit(ctx.weights.map((w) => w * w), ctx.shape).map(Math.sqrt),
};

function layerRng(ctx: ScoreContext): Rng {
  if (ctx.seed === undefined) return ctx.rng;
  let h = 2166136261;
  for (const ch of ctx.layer) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return new Rng((ctx.seed ^ h) >>> 0);
}

/**
 * Uniform random scores: the baseline every criterion must beat. With `seed` in the context, each
 * weight (unit) keeps the same random score at every schedule update (derived from the seed and the
 * layer name), so a gradual schedule prunes nested random sets instead of a new random set each time.
 */
export const random: Criterion = {
  name: 'random',
  description: 'uniform random scores (baseline), fixed per weight for a given seed',
  scoreWeights: (ctx) => {
    const rng = layerRng(ctx);
    return ctx.weights.map(() => rng.next());
  },
  scoreUnits: (ctx) => {
    const rng = layerRng(ctx);
    return new Float32Array(unitCount(ctx.shape)).map(() => rng.next());
  },
};

/**
 * First-order Taylor: `|w · ∂L/∂w|` per weight (the loss change when w is zeroed); per unit
 * `|Σ w · ∂L/∂w|` over the unit's weights (Molchanov et al. 2017).
 */
export const taylor: Criterion = {
  name: 'taylor',
  description: 'first-order Taylor |w·dL/dw| from a few batches',
  needsGradients: true,
  scoreWeights: (ctx) => {
    const g = requireGradients(ctx);
    return ctx.weights.map((w, i) => Math.abs(w * g[i]!));
  },
  scoreUnits: (ctx) => {
    const g = requireGradients(ctx);
    return sumPerUnit(
      ctx.weights.map((w, i) => w * g[i]!),
      ctx.shape,
    ).map(Math.abs);
  },
};

/**
 * The criteria registry. Plugins add theirs with `criteria.register(name, criterion)`; unknown names
 * and a different criterion under a taken name throw `PluginError`.
 */
export const criteria = Registry.shared<Criterion>('criterion', 'pruning criterion');

/** The built-in criteria, registered by the package entry point (`@shrinkray/prune`, not `/base`). */
export const builtinCriteria: readonly Criterion[] = [l1, l2, random, taylor];
