import { InvalidSparsityError } from './errors/invalid-sparsity-error.js';
import { LayerEmptiedError } from './errors/layer-emptied-error.js';

/** Pruning scope: each layer to its own target, or one threshold across all layers. */
export type Scope = 'layer' | 'global';

/** Importance scores of one layer's prunable elements (weights, or units for structured pruning). */
export interface LayerScores {
  readonly layer: string;
  readonly scores: Float32Array;
  /** A per-layer sparsity that replaces the shared target (and takes the layer out of the global pool). */
  readonly override?: number;
  /** What the scores are of, for messages (default: the `what` argument of `selectMasks`). */
  readonly what?: 'weights' | 'units' | 'filters';
}

/** Throws `InvalidSparsityError` unless `0 <= sparsity < 1` (`layer` null: the shared target). */
export function checkSparsity(layer: string | null, sparsity: number): void {
  if (!Number.isFinite(sparsity) || sparsity < 0 || sparsity >= 1) throw new InvalidSparsityError(layer, sparsity);
}

/** How many of `n` elements a sparsity prunes: `round(s·n)` (exact, the reported sparsity is count/n). */
export function prunedCount(n: number, sparsity: number): number {
  return Math.round(sparsity * n);
}

/**
 * Indices of the `count` lowest scores (ties go to the lower index, so the choice is deterministic).
 * @internal
 */
function lowest(scores: Float32Array, count: number): Int32Array {
  const order = new Int32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => scores[a]! - scores[b]! || a - b);
  return order.subarray(0, count);
}

/**
 * Masks (1 = keep, 0 = prune) for every layer. `layer` scope prunes exactly `round(s·n)` elements of
 * each layer; `global` scope prunes exactly `round(s·N)` of the pooled elements of all layers without an
 * override, lowest scores first (layers with an override are pruned on their own). Throws
 * `InvalidSparsityError` for a sparsity outside [0, 1) and `LayerEmptiedError` when a layer would lose
 * every element.
 */
export function selectMasks(layers: readonly LayerScores[], target: number, scope: Scope, what: 'weights' | 'units' | 'filters' = 'weights'): Map<string, Uint8Array> {
  checkSparsity(null, target);
  const masks = new Map<string, Uint8Array>();
  const pooled: LayerScores[] = [];
  for (const l of layers) {
    const mask = new Uint8Array(l.scores.length).fill(1);
    masks.set(l.layer, mask);
    const s = l.override ?? target;
    checkSparsity(l.layer, s);
    if (scope === 'layer' || l.override !== undefined) {
      const count = prunedCount(l.scores.length, s);
      if (count >= l.scores.length && l.scores.length > 0) throw new LayerEmptiedError(l.layer, l.what ?? what, l.scores.length, s);
      for (const i of lowest(l.scores, count)) mask[i] = 0;
    } else {
      pooled.push(l);
    }
  }
  if (pooled.length > 0) {
    const total = pooled.reduce((n, l) => n + l.scores.length, 0);
    const all = new Float32Array(total);
    const owner = new Int32Array(total);
    let offset = 0;
    pooled.forEach((l, k) => {
      all.set(l.scores, offset);
      owner.fill(k, offset, offset + l.scores.length);
      offset += l.scores.length;
    });
    const starts = new Int32Array(pooled.length);
    for (let k = 1; k < pooled.length; k++) starts[k] = starts[k - 1]! + pooled[k - 1]!.scores.length;
    for (const i of lowest(all, prunedCount(total, target))) {
      const k = owner[i]!;
      masks.get(pooled[k]!.layer)![i - starts[k]!] = 0;
    }
    for (const l of pooled) {
      const mask = masks.get(l.layer)!;
      if (mask.length > 0 && mask.every((m) => m === 0)) throw new LayerEmptiedError(l.layer, l.what ?? what, mask.length, target);
    }
  }
  return masks;
}

/** Fraction of zeros in an array (0 for an empty one). */
export function sparsityOf(values: ArrayLike<number>): number {
  if (values.length === 0) return 0;
  let zeros = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
  return zeros / values.length;
}
