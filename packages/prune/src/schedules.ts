import { ConfigError, Registry } from '@shrinkray/tensor-core';

/** Where a schedule may prune, in optimizer steps of the fine-tuning run. */
export interface ScheduleContext {
  /** Final sparsity `s_f`. */
  readonly target: number;
  /** Starting sparsity `s_i` (polynomial); default 0. */
  readonly initial: number;
  /** First pruning step `t0`. */
  readonly begin: number;
  /** Last pruning step `t0 + nΔt`: the final sparsity holds from here on. */
  readonly end: number;
  /** Steps between pruning updates `Δt`. */
  readonly frequency: number;
}

/** One pruning update: at `step` (0 = before training), bring the masks to `sparsity`. */
export interface PruneUpdate {
  readonly step: number;
  readonly sparsity: number;
}

/**
 * A sparsity schedule: the list of pruning updates, in increasing step order, the last at the target
 * sparsity. Every mask is recomputed at each update and enforced after every optimizer step.
 */
export interface Schedule {
  readonly name: string;
  readonly description?: string;
  plan(ctx: ScheduleContext): PruneUpdate[];
}

function checkContext(ctx: ScheduleContext): void {
  if (!Number.isInteger(ctx.begin) || ctx.begin < 0) throw new ConfigError('schedule.begin', `must be a non-negative integer step, got ${ctx.begin}`);
  if (!Number.isInteger(ctx.end) || ctx.end < ctx.begin) throw new ConfigError('schedule.end', `must be an integer step >= begin (${ctx.begin}), got ${ctx.end}`);
  if (!Number.isInteger(ctx.frequency) || ctx.frequency < 1) throw new ConfigError('schedule.frequency', `must be a positive integer, got ${ctx.frequency}`);
}

/** Prune once to the target before fine-tuning starts. */
export const oneShot: Schedule = {
  name: 'one-shot',
  description: 'prune to the target once, then fine-tune with fixed masks',
  plan: (ctx) => [{ step: 0, sparsity: ctx.target }],
};

/** Re-select the target sparsity every `frequency` steps from `begin` to `end` (the mask may move). */
export const constant: Schedule = {
  name: 'constant',
  description: 'the target sparsity re-selected every `frequency` steps from begin to end',
  plan: (ctx) => {
    checkContext(ctx);
    const events: PruneUpdate[] = [];
    for (let t = ctx.begin; t < ctx.end; t += ctx.frequency) events.push({ step: t, sparsity: ctx.target });
    events.push({ step: ctx.end, sparsity: ctx.target });
    return events;
  },
};

/**
 * Gradual pruning of Zhu & Gupta (2017): `s_t = s_f + (s_i − s_f)(1 − (t − t0)/(nΔt))³` at
 * `t = t0, t0+Δt, …, t0+nΔt`, with `nΔt = end − begin` (the last update lands on `end`).
 */
export const polynomial: Schedule = {
  name: 'polynomial',
  description: 'Zhu & Gupta 2017 cubic ramp from initial to target sparsity between begin and end',
  plan: (ctx) => {
    checkContext(ctx);
    const span = ctx.end - ctx.begin;
    if (span === 0) return [{ step: ctx.begin, sparsity: ctx.target }];
    const events: PruneUpdate[] = [];
    for (let t = ctx.begin; t < ctx.end; t += ctx.frequency) events.push({ step: t, sparsity: polynomialSparsity(t, ctx) });
    events.push({ step: ctx.end, sparsity: ctx.target });
    return events;
  },
};

/** The Zhu & Gupta sparsity at step `t` (clamped to `[begin, end]`). */
export function polynomialSparsity(t: number, ctx: Pick<ScheduleContext, 'target' | 'initial' | 'begin' | 'end'>): number {
  const span = ctx.end - ctx.begin;
  if (span <= 0) return ctx.target;
  const progress = Math.min(1, Math.max(0, (t - ctx.begin) / span));
  return ctx.target + (ctx.initial - ctx.target) * (1 - progress) ** 3;
}

/** The schedules registry. */
export const schedules = Registry.shared<Schedule>('schedule', 'pruning schedule');

/** The built-in schedules, registered by the package entry point (`@shrinkray/prune`, not `/base`). */
export const builtinSchedules: readonly Schedule[] = [oneShot, constant, polynomial];
