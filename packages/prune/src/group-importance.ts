import { Rng, type tfl } from '@shrinkray/tensor-core';
import { type Criterion, scoreUnits } from './criteria.js';
import { weightRole } from './graph.js';
import type { DependencyGraph, GroupMember } from './groups.js';

/** How member scores of one channel are combined into the group's score. */
export type GroupReduction = 'mean' | 'sum' | 'max';

/** Options of `groupImportance`. */
export interface GroupImportanceOptions {
  /** Default `mean`. */
  reduction?: GroupReduction;
  /** Mean gradients of each layer's kernel (`kernel` or `depthwise_kernel`), for criteria that need them. */
  gradients?: ReadonlyMap<string, Float32Array>;
  seed?: number;
}

/** Moves `axis` of a row-major array to the end (so a criterion sees the member's channels as units). */
function moveAxisLast(data: Float32Array, shape: readonly number[], axis: number): { data: Float32Array; shape: number[] } {
  if (axis === shape.length - 1) return { data, shape: [...shape] };
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const size = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(data.length);
  // [outer, size, inner] -> [outer, inner, size]
  for (let o = 0; o < outer; o++) for (let c = 0; c < size; c++) for (let i = 0; i < inner; i++) out[(o * inner + i) * size + c] = data[(o * size + c) * inner + i]!;
  return { data: out, shape: [...shape.slice(0, axis), ...shape.slice(axis + 1), size] };
}

/** The weight a member is scored on and the axis holding its channels. */
function scoredWeight(layer: tfl.layers.Layer, member: GroupMember): { variable: tfl.layers.Layer['weights'][number]; axis: number } | undefined {
  const byRole = (role: string) => layer.weights.find((w) => weightRole(w) === role);
  if (member.className === 'BatchNormalization') {
    const gamma = byRole('gamma');
    return gamma ? { variable: gamma, axis: 0 } : undefined;
  }
  const kernel = byRole('kernel') ?? byRole('embeddings') ?? byRole('depthwise_kernel');
  if (!kernel) return undefined;
  const rank = kernel.shape.length;
  return { variable: kernel, axis: member.role === 'out' ? rank - 1 : member.role === 'in' ? rank - 2 : 2 };
}

/**
 * Importance of every channel of every group, like DepGraph's group magnitude importance: each member
 * (producer kernel columns, embedding table columns, consumer kernel rows, depthwise kernel slices, BatchNormalization gamma) is
 * scored per channel by the criterion, its scores are divided by their mean over the group's channels
 * (so members of different fan-in weigh the same), and the member scores of a channel are reduced with
 * `mean`, `sum` or `max`. Returns a map from group id to one score per channel class.
 *
 * Criteria that need gradients (`taylor`) score the kernels only, from `options.gradients`.
 */
export function groupImportance(model: tfl.LayersModel, graph: DependencyGraph, criterion: Criterion, options: GroupImportanceOptions = {}): Map<string, Float32Array> {
  const reduction = options.reduction ?? 'mean';
  const rng = new Rng(options.seed ?? 0);
  const totals = graph.groups.map((g) => new Float32Array(g.classes.length).fill(reduction === 'max' ? Number.NEGATIVE_INFINITY : 0));
  const counts = graph.groups.map((g) => new Float32Array(g.classes.length));
  for (const member of graph.members) {
    const layer = model.getLayer(member.layer);
    const weight = scoredWeight(layer, member);
    if (!weight) continue;
    const gradients = options.gradients?.get(member.layer);
    if (criterion.needsGradients && (!gradients || weightRole(weight.variable) === 'gamma')) continue;
    const moved = moveAxisLast(weight.variable.read().dataSync() as Float32Array, weight.variable.shape as number[], weight.axis);
    const ctx = {
      layer: `${member.layer}:${member.role}`,
      weights: moved.data,
      shape: moved.shape,
      rng,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(gradients ? { gradients: moveAxisLast(gradients, weight.variable.shape as number[], weight.axis).data } : {}),
    };
    const perPosition = scoreUnits(criterion, ctx);
    // per group touched: sum the positions of each class, then normalise by the member's mean over the group
    const perGroup = new Map<number, Map<number, number>>();
    member.positions.forEach((e, i) => {
      if (e < 0) return;
      const g = graph.groupOf[e]!;
      let classes = perGroup.get(g);
      if (!classes) {
        classes = new Map();
        perGroup.set(g, classes);
      }
      const c = graph.classOf[e]!;
      classes.set(c, (classes.get(c) ?? 0) + perPosition[i]!);
    });
    for (const [g, classes] of perGroup) {
      let mean = 0;
      for (const v of classes.values()) mean += v / classes.size;
      const scale = mean > 0 ? 1 / mean : 0;
      const total = totals[g]!;
      const count = counts[g]!;
      for (const [c, v] of classes) {
        const s = v * scale;
        total[c] = reduction === 'max' ? Math.max(total[c]!, s) : total[c]! + s;
        count[c]!++;
      }
    }
  }
  const out = new Map<string, Float32Array>();
  graph.groups.forEach((g, k) => {
    const total = totals[k]!;
    const count = counts[k]!;
    out.set(
      g.id,
      total.map((v, c) => (count[c]! === 0 ? 0 : reduction === 'mean' ? v / count[c]! : v)),
    );
  });
  return out;
}
