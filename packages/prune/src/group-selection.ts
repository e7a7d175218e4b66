import { ConfigError } from '@shrinkray/tensor-core';
import { LayerEmptiedError } from './errors/layer-emptied-error.js';
import { checkSparsity, type Scope } from './masks.js';

/** One group as the selection sees it. */
export interface GroupCandidate {
  readonly id: string;
  /** Importance of each of the group's channels now (higher = kept). */
  readonly scores: Float32Array;
  /** Channels of the group before any pruning step (the targets are fractions of these). */
  readonly original: number;
  /** Sparsity of this group replacing the shared target (and taking it out of the global pool). */
  readonly override?: number;
}

/** Options of `planGroupCounts` / `selectGroupChannels`. */
export interface GroupSelectionOptions {
  /** Fraction of each group's original channels removed by now, in [0, 1). */
  target: number;
  /** `layer` (default): every group to the target; `global`: one ranking across groups, each capped. */
  scope?: Scope;
  /** Keep channel counts multiples of this (default 1). A group smaller than it is left as it is. */
  roundTo?: number;
  /** Global scope: largest fraction of any one group removed (default 0.9). */
  maxSparsity?: number;
}

/**
 * Channels a group keeps at a sparsity, rounded to a multiple of `roundTo` (at least one multiple).
 * Throws `LayerEmptiedError` naming `layer` when the sparsity would remove every channel.
 */
export function keptChannels(original: number, sparsity: number, roundTo = 1, layer = 'group', what: 'units' | 'filters' = 'filters'): number {
  const keep = original - Math.round(sparsity * original);
  if (keep < 1 && original > 0) throw new LayerEmptiedError(layer, what, original, sparsity);
  if (roundTo <= 1) return keep;
  if (original <= roundTo) return original;
  return Math.min(original, Math.max(roundTo, Math.round(keep / roundTo) * roundTo));
}

function lowest(scores: Float32Array, count: number): Int32Array {
  const order = Int32Array.from(scores.keys());
  order.sort((a, b) => scores[a]! - scores[b]! || a - b);
  return order.slice(0, count).sort();
}

/**
 * The channels to remove from every group now, lowest scores first. `layer` scope brings every group
 * to `keptChannels(original, target, roundTo)`; `global` scope ranks the channels of all groups
 * without an override together and removes `round(target·Σ original)` minus what is already gone, no
 * group past `maxSparsity`, then rounds each group's count to `roundTo`. Returns sorted class indices
 * per group id (groups that lose nothing are absent).
 */
export function selectGroupChannels(groups: readonly GroupCandidate[], options: GroupSelectionOptions): Map<string, Int32Array> {
  checkSparsity(null, options.target);
  const scope = options.scope ?? 'layer';
  const roundTo = options.roundTo ?? 1;
  if (!Number.isInteger(roundTo) || roundTo < 1) throw new ConfigError('roundTo', `must be a positive integer, got ${roundTo}`);
  const maxSparsity = options.maxSparsity ?? 0.9;
  checkSparsity('maxSparsity', maxSparsity);
  const counts = new Map<string, number>();
  const pooled: GroupCandidate[] = [];
  for (const g of groups) {
    if (g.override !== undefined) checkSparsity(g.id, g.override);
    if (scope === 'layer' || g.override !== undefined) {
      const keep = keptChannels(g.original, g.override ?? options.target, roundTo, g.id);
      counts.set(g.id, Math.max(0, g.scores.length - keep));
    } else pooled.push(g);
  }
  if (pooled.length > 0) {
    const total = pooled.reduce((n, g) => n + g.original, 0);
    const gone = pooled.reduce((n, g) => n + g.original - g.scores.length, 0);
    let want = Math.round(options.target * total) - gone;
    const taken = new Map(pooled.map((g) => [g.id, 0]));
    const ranked = pooled.flatMap((g) => Array.from(g.scores, (s, c) => ({ g, c, s }))).sort((a, b) => a.s - b.s || a.c - b.c);
    for (const { g } of ranked) {
      if (want <= 0) break;
      const cap = Math.floor(maxSparsity * g.original) - (g.original - g.scores.length);
      const n = taken.get(g.id)!;
      if (n >= cap || g.scores.length - n <= 1) continue;
      taken.set(g.id, n + 1);
      want--;
    }
    for (const g of pooled) {
      const n = taken.get(g.id)!;
      const sparsity = (g.original - g.scores.length + n) / g.original;
      const keep = roundTo > 1 ? keptChannels(g.original, sparsity, roundTo) : g.scores.length - n;
      counts.set(g.id, Math.max(0, g.scores.length - keep));
    }
  }
  const out = new Map<string, Int32Array>();
  for (const g of groups) {
    const n = counts.get(g.id) ?? 0;
    if (n > 0) out.set(g.id, lowest(g.scores, n));
  }
  return out;
}
