import { tf, type tfl } from '@shrinkray/tensor-core';
import { rebuildModel } from './rebuild.js';
import { LayerEmptiedError } from './errors/layer-emptied-error.js';
import { UnprunableStructureError } from './errors/unprunable-structure-error.js';
import { weightRole } from './graph.js';
import type { DependencyGraph, GroupMember, MemberRole } from './groups.js';

/** Positions of a member's axis that stay. */
function keptPositions(member: GroupMember, removed: ReadonlySet<number>): Int32Array {
  const keep: number[] = [];
  member.positions.forEach((e, i) => {
    if (e < 0 || !removed.has(e)) keep.push(i);
  });
  return Int32Array.from(keep);
}

/** Which member role indexes which axis of a layer's weight (axes counted from 0, no batch axis). */
function axisRoles(className: string, role: string, rank: number): { axis: number; role: MemberRole }[] {
  if (className === 'Embedding') return [{ axis: rank - 1, role: 'out' }];
  if (className === 'Conv2D' || className === 'Conv1D' || className === 'Dense') {
    if (role === 'kernel') return [{ axis: rank - 2, role: 'in' }, { axis: rank - 1, role: 'out' }];
    return [{ axis: 0, role: 'out' }];
  }
  return [{ axis: role === 'depthwise_kernel' ? 2 : 0, role: 'channel' }];
}

/**
 * Element ids of the given channel classes of the graph's groups (`removed` maps a group id to class
 * indices), checking that every named group exists and can be pruned.
 */
export function elementsOf(graph: DependencyGraph, removed: ReadonlyMap<string, ArrayLike<number>>): Set<number> {
  const out = new Set<number>();
  for (const [id, list] of removed) {
    const group = graph.groups.find((g) => g.id === id);
    if (!group) throw new UnprunableStructureError(id, `no dependency group '${id}' (groups: ${graph.groups.map((g) => g.id).join(', ')})`);
    if (list.length === 0) continue;
    if (group.blockers.length > 0) {
      const b = group.blockers[0]!;
      throw new UnprunableStructureError(b.layer, `group ${id} (${group.producers.join(', ')}) is blocked: ${b.className} ${b.reason}`);
    }
    for (const c of Array.from(list)) {
      const members = group.classes[c];
      if (!members) throw new UnprunableStructureError(id, `channel ${c} out of range [0, ${group.classes.length})`);
      for (const e of members) out.add(e);
    }
  }
  return out;
}

/**
 * Removes channel classes of dependency groups from every member layer (producer filters/units,
 * embedding table columns, consumer input rows/channels, BatchNormalization and depthwise slices) and returns a new, smaller
 * LayersModel; the input model is left untouched. When the removed channels are dead (zero in every
 * producer, BatchNormalization gamma/beta and depthwise slice, with activations where f(0)=0), the
 * result computes exactly the same function.
 *
 * @example
 * const graph = buildGroups(model);
 * const small = await removeGroupChannels(model, graph, new Map([['g0', [1, 4]]]));
 */
export async function removeGroupChannels(model: tfl.LayersModel, graph: DependencyGraph, removed: ReadonlyMap<string, ArrayLike<number>>): Promise<tfl.LayersModel> {
  const elements = elementsOf(graph, removed);
  const byLayer = new Map<string, Map<MemberRole, Int32Array>>();
  for (const m of graph.members) {
    if (!m.positions.some((e) => e >= 0 && elements.has(e))) continue;
    const kept = keptPositions(m, elements);
    if (kept.length === 0) throw new LayerEmptiedError(m.layer, m.role === 'in' ? 'units' : 'filters', m.positions.length, 1);
    let roles = byLayer.get(m.layer);
    if (!roles) {
      roles = new Map();
      byLayer.set(m.layer, roles);
    }
    roles.set(m.role, kept);
  }
  const newWeights = new Map<string, tf.Tensor[]>();
  const newSizes = new Map<string, number>();
  try {
    for (const [name, roles] of byLayer) {
      const layer = model.getLayer(name);
      const cls = layer.getClassName();
      newWeights.set(
        name,
        layer.weights.map((w) =>
          tf.tidy(() => {
            let v = w.read();
            for (const { axis, role } of axisRoles(cls, weightRole(w), w.shape.length)) {
              const keep = roles.get(role);
              if (keep) v = tf.gather(v, keep, axis);
            }
            // a copy with its own data (wasm's Gather keeps a shape its fused kernels reject as a bias)
            return tf.tensor(v.dataSync(), v.shape, v.dtype);
          }),
        ),
      );
      const out = roles.get('out');
      if (out) newSizes.set(name, out.length);
    }
    return await rebuildModel(model, newSizes, newWeights);
  } finally {
    for (const list of newWeights.values()) for (const t of list) t.dispose();
  }
}

/**
 * For every producer (and depthwise layer) that loses output channels when `removed` is applied: the
 * indices of the output channels it keeps, in order (what recalibration matches with the dense layer).
 */
export function keptOutputChannels(graph: DependencyGraph, removed: ReadonlyMap<string, ArrayLike<number>>): Map<string, Int32Array> {
  const elements = elementsOf(graph, removed);
  const out = new Map<string, Int32Array>();
  for (const m of graph.members) {
    if (m.role !== 'out' && !(m.role === 'channel' && m.className === 'DepthwiseConv2D')) continue;
    if (m.positions.some((e) => e >= 0 && elements.has(e))) out.set(m.layer, keptPositions(m, elements));
  }
  return out;
}
