import type { tfl } from '@shrinkray/tensor-core';
import { inboundLayers, outputLayerNames, weightRole } from './graph.js';

type Layer = tfl.layers.Layer;

/**
 * How a layer's weights touch a channel space:
 * - `out`: the layer makes the channels (Conv2D/Conv1D filters, Dense units, Embedding dimensions; kernel last axis, bias);
 * - `in`: the layer reads them (Conv2D/Conv1D/Dense kernel input axis);
 * - `channel`: the layer keeps them apart, one parameter slice per channel (BatchNormalization,
 *   DepthwiseConv2D with depth multiplier 1).
 */
export type MemberRole = 'out' | 'in' | 'channel';

/** One layer's share of the channel spaces: which channel element each position of its axis holds. */
export interface GroupMember {
  readonly layer: string;
  readonly className: string;
  readonly role: MemberRole;
  /** Element id of every position of the member's axis (-1: a channel no group owns, never removed). */
  readonly positions: Int32Array;
}

/** Why a group (or a layer's channels) cannot be pruned. */
export interface Blocker {
  /** The layer (node) that blocks the channels. */
  readonly layer: string;
  readonly className: string;
  readonly reason: string;
}

/**
 * Channels that must be removed together. Every class is one channel index of the group, held by one
 * or more elements (the same channel of every producer joined by a residual Add, say); removing a class
 * removes each of its elements from every member.
 */
export interface DependencyGroup {
  /** `g0`, `g1`, … in layer order. */
  readonly id: string;
  /** Layers whose output channels belong to the group (Conv2D/Conv1D/Dense/Embedding producers). */
  readonly producers: readonly string[];
  /** Every member touching the group, as `layer:role`. */
  readonly members: readonly { layer: string; className: string; role: MemberRole }[];
  /** Channel classes of the group; each is the list of element ids removed together. */
  readonly classes: readonly Int32Array[];
  /** Empty when the group can be pruned; else why not (nothing is guessed). */
  readonly blockers: readonly Blocker[];
}

/** The dependency graph of a model's channels. */
export interface DependencyGraph {
  readonly groups: readonly DependencyGroup[];
  readonly members: readonly GroupMember[];
  /** Layer classes the builder does not understand, with the layers: their channels stay unpruned. */
  readonly unsupported: readonly Blocker[];
  /** Group index of every element id. */
  readonly groupOf: Int32Array;
  /** Class index (within its group) of every element id. */
  readonly classOf: Int32Array;
}

/** Channel positions of a tensor: `el[i]` is the element at position i of `axis` (counted with batch as 0). */
interface ChannelMap {
  axis: number;
  el: Int32Array;
}

/** Activations that act on each value separately (softmax does not: it mixes the channels). */
const elementwiseActivations = new Set(['linear', 'relu', 'relu6', 'elu', 'selu', 'softplus', 'softsign', 'tanh', 'sigmoid', 'hardSigmoid', 'hard_sigmoid', 'swish', 'mish', 'gelu', 'gelu_new']);
/** Layers that act on each value separately. */
const elementwise = new Set(['ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'Dropout', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);
/** Layers that keep channels apart on the last axis (change only the spatial axes). */
const spatial = new Set(['MaxPooling1D', 'MaxPooling2D', 'AveragePooling1D', 'AveragePooling2D', 'ZeroPadding2D', 'Cropping2D', 'UpSampling2D', 'SpatialDropout1D', 'SpatialDropout2D']);
const globalPooling = new Set(['GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D']);
const merges = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum']);

class UnionFind {
  private readonly parent: number[] = [];
  add(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(a: number): number {
    let r = a;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[a] !== r) {
      const next = this.parent[a]!;
      this.parent[a] = r;
      a = next;
    }
    return r;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
  get size(): number {
    return this.parent.length;
  }
}

function shapeOf(layer: Layer, which: 'input' | 'output', k = 0): (number | null)[] {
  const t = which === 'input' ? layer.input : layer.output;
  const list = Array.isArray(t) ? t : [t];
  return [...(list[k]?.shape ?? [])];
}

function fixed(size: number, axis: number): ChannelMap {
  return { axis, el: new Int32Array(Math.max(0, size)).fill(-1) };
}

/**
 * Builds the dependency groups of a tfjs LayersModel (imported ONNX models included): a producer's
 * (Dense, Conv2D, Conv1D, Embedding) output channels joined with every consumer's input channels,
 * through masked mean pooling and 1-D/2-D global pooling (text models), residual merges (Add, Subtract,
 * Multiply, Average, Maximum, Minimum: every input loses the same channels), DepthwiseConv2D (channel
 * in = channel out), Concatenate (offsets), BatchNormalization, element-wise activations, pooling,
 * global pooling → Dense, Flatten → Dense and Permute.
 *
 * Layers it does not understand (Reshape, softmax, SeparableConv2D, shared or nested layers, …) are
 * never guessed through: the channels they read are blocked and listed in `unsupported`, and so are
 * channels that reach a model output or meet the model input in a merge.
 *
 * @example
 * const graph = buildGroups(model);
 * for (const g of graph.groups) console.log(g.id, g.producers, g.classes.length, g.blockers);
 */
export function buildGroups(model: tfl.LayersModel): DependencyGraph {
  const uf = new UnionFind();
  const elementVec: number[] = [];
  const members: GroupMember[] = [];
  const blocks: { el: number; blocker: Blocker }[] = [];
  const unsupported: Blocker[] = [];
  const maps = new Map<string, ChannelMap>();
  const producers: { layer: string; first: number; count: number }[] = [];

  const block = (map: ChannelMap | undefined, blocker: Blocker): void => {
    if (!map) return;
    for (const e of map.el) if (e >= 0) blocks.push({ el: e, blocker });
  };
  const addMember = (layer: Layer, role: MemberRole, positions: Int32Array): void => {
    members.push({ layer: layer.name, className: layer.getClassName(), role, positions });
  };

  /** New output channels of a producer (one element each, on its output's last axis). */
  const produce = (layer: Layer, units: number): ChannelMap => {
    const first = uf.size;
    for (let i = 0; i < units; i++) {
      uf.add();
      elementVec.push(producers.length);
    }
    producers.push({ layer: layer.name, first, count: units });
    const el = Int32Array.from({ length: units }, (_, i) => first + i);
    addMember(layer, 'out', el);
    return { axis: shapeOf(layer, 'output').length - 1, el };
  };

  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const name = layer.name;
    const inbound = inboundLayers(layer);
    const inputs = inbound.map((l) => maps.get(l.name));
    const input = inputs[0];
    const inRank = shapeOf(layer, 'input').length;
    const outShape = shapeOf(layer, 'output');
    const outRank = outShape.length;
    const outFixed = (): ChannelMap => fixed((outShape[outRank - 1] as number | null) ?? 0, outRank - 1);
    const refuse = (reason: string): ChannelMap => {
      const blocker = { layer: name, className: cls, reason };
      for (const m of inputs) block(m, blocker);
      if (!unsupported.some((u) => u.layer === name)) unsupported.push(blocker);
      return outFixed();
    };
    const onLastAxis = (m: ChannelMap | undefined): boolean => !m || m.axis === inRank - 1;
    let out: ChannelMap;
    if (cls === 'InputLayer') {
      out = outFixed();
    } else if (layer.inboundNodes.length > 1) {
      out = refuse(`the layer is shared by ${layer.inboundNodes.length} call sites`);
    } else if ((layer as unknown as { layers?: unknown }).layers !== undefined) {
      out = refuse('a nested model');
    } else if (cls === 'Embedding') {
      // A lookup table [vocab, E]: its E columns are output channels, like a producer's filters; the
      // token ids it reads are not channels.
      const table = layer.weights.find((w) => weightRole(w) === 'embeddings');
      if (!table) out = refuse('no embeddings table');
      else out = produce(layer, (table.shape as number[])[1]!);
    } else if (cls === 'Conv2D' || cls === 'Conv1D' || cls === 'Dense') {
      const kernel = layer.weights.find((w) => weightRole(w) === 'kernel');
      const config = layer.getConfig() as { groups?: number };
      if (!kernel) out = refuse('no kernel');
      else if ((config.groups ?? 1) !== 1) out = refuse(`grouped convolution (groups=${config.groups})`);
      else if (!onLastAxis(input)) out = refuse(`its input channels are on axis ${input!.axis}, not the last axis`);
      else {
        const shape = kernel.shape as number[];
        const inSize = shape[shape.length - 2]!;
        if (input && input.el.length === inSize) addMember(layer, 'in', input.el);
        else if (input?.el.some((e) => e >= 0)) block(input, { layer: name, className: cls, reason: `reads ${inSize} channels, the input map has ${input.el.length}` });
        out = produce(layer, shape[shape.length - 1]!);
      }
    } else if (cls === 'DepthwiseConv2D') {
      const mult = (layer.getConfig() as { depthMultiplier?: number }).depthMultiplier ?? 1;
      if (mult !== 1) out = refuse(`depthMultiplier ${mult} (only 1 keeps channel in = channel out)`);
      else if (!input || !onLastAxis(input)) out = refuse('its input channels are not on the last axis');
      else {
        addMember(layer, 'channel', input.el);
        out = { axis: outRank - 1, el: input.el };
      }
    } else if (cls === 'BatchNormalization') {
      const configured = (layer.getConfig() as { axis?: number | number[] }).axis ?? -1;
      const axis = typeof configured === 'number' ? (configured < 0 ? inRank + configured : configured) : -2;
      if (!input || axis !== input.axis) out = refuse(`normalises axis ${JSON.stringify(configured)}, the channels are on axis ${input?.axis}`);
      else {
        addMember(layer, 'channel', input.el);
        out = input;
      }
    } else if (cls === 'Activation') {
      const activation = String((layer.getConfig() as { activation?: unknown }).activation);
      out = input && elementwiseActivations.has(activation) ? input : refuse(`activation '${activation}' mixes values`);
    } else if (elementwise.has(cls)) {
      out = input ?? outFixed();
    } else if (spatial.has(cls)) {
      out = input && onLastAxis(input) ? input : refuse('its channels are not on the last axis');
    } else if (cls === 'MaskedMeanPooling1D') {
      // [embeddings [N, L, E], ids [N, L]] -> [N, E]: a mean over the sequence of each channel; the
      // ids only make the mask.
      out = input && input.axis === 2 && inRank === 3 ? { axis: 1, el: input.el } : refuse('its channels are not on the last axis of a [N, L, E] input');
    } else if (globalPooling.has(cls)) {
      out = input && onLastAxis(input) ? { axis: 1, el: input.el } : refuse('its channels are not on the last axis');
    } else if (merges.has(cls)) {
      const first = inputs[0];
      if (!first || inputs.some((m) => !m || m.axis !== first.axis || m.el.length !== first.el.length)) out = refuse('its inputs have different channel layouts (broadcasting)');
      else {
        const el = Int32Array.from(first.el);
        for (const m of inputs.slice(1)) {
          m!.el.forEach((e, i) => {
            const a = el[i]!;
            if (e >= 0 && a >= 0) uf.union(a, e);
            else if (e >= 0 || a >= 0) blocks.push({ el: Math.max(e, a), blocker: { layer: name, className: cls, reason: 'merges the channels with a tensor no group owns (e.g. the model input)' } });
          });
        }
        out = { axis: first.axis, el };
      }
    } else if (cls === 'Concatenate') {
      const configured = (layer.getConfig() as { axis?: number }).axis ?? -1;
      const axis = configured < 0 ? inRank + configured : configured;
      if (inputs.some((m) => !m || m.axis !== axis)) out = refuse(`concatenates on axis ${configured}, not the channel axis`);
      else {
        const parts = inputs.map((m) => m!.el);
        const el = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
        let offset = 0;
        for (const p of parts) {
          el.set(p, offset);
          offset += p.length;
        }
        out = { axis, el };
      }
    } else if (cls === 'Permute') {
      const dims = (layer.getConfig() as { dims: number[] }).dims;
      out = input ? { axis: dims.indexOf(input.axis) + 1, el: input.el } : outFixed();
    } else if (cls === 'Flatten') {
      const dims = shapeOf(layer, 'input').slice(1);
      if (!input) out = outFixed();
      else if (dims.some((d) => typeof d !== 'number')) out = refuse(`flattens a shape with unknown dimensions ${JSON.stringify(dims)}`);
      else {
        const sizes = dims as number[];
        const total = sizes.reduce((a, b) => a * b, 1);
        const stride = sizes.slice(input.axis).reduce((a, b) => a * b, 1);
        const size = sizes[input.axis - 1]!;
        // row-major over the non-batch axes: the coordinate along the channel axis of every flat position
        const el = Int32Array.from({ length: total }, (_, f) => input.el[Math.floor(f / stride) % size]!);
        out = { axis: 1, el };
      }
    } else {
      out = refuse(`${cls} is not understood by the group builder`);
    }
    maps.set(name, out);
  }

  for (const name of outputLayerNames(model)) {
    block(maps.get(name), { layer: name, className: model.getLayer(name).getClassName(), reason: 'produces a model output' });
  }

  // Producers coupled through any shared channel class form one group.
  const vecs = new UnionFind();
  for (let i = 0; i < producers.length; i++) vecs.add();
  for (let e = 0; e < uf.size; e++) vecs.union(elementVec[e]!, elementVec[uf.find(e)]!);
  const groupIndex = new Map<number, number>();
  const groupOf = new Int32Array(uf.size);
  const classOf = new Int32Array(uf.size);
  const classes: Map<number, number>[] = [];
  const classLists: number[][][] = [];
  for (let e = 0; e < uf.size; e++) {
    const root = vecs.find(elementVec[e]!);
    let g = groupIndex.get(root);
    if (g === undefined) {
      g = classes.length;
      groupIndex.set(root, g);
      classes.push(new Map());
      classLists.push([]);
    }
    groupOf[e] = g;
    const r = uf.find(e);
    let c = classes[g]!.get(r);
    if (c === undefined) {
      c = classLists[g]!.length;
      classes[g]!.set(r, c);
      classLists[g]!.push([]);
    }
    classLists[g]![c]!.push(e);
    classOf[e] = c;
  }
  const blockers: Blocker[][] = classLists.map(() => []);
  for (const { el, blocker } of blocks) {
    const list = blockers[groupOf[el]!]!;
    if (!list.some((b) => b.layer === blocker.layer && b.reason === blocker.reason)) list.push(blocker);
  }
  const groups: DependencyGroup[] = classLists.map((list, g) => {
    const touching = members.filter((m) => m.positions.some((e) => e >= 0 && groupOf[e] === g));
    return {
      id: `g${g}`,
      producers: producers.filter((p) => groupOf[p.first] === g).map((p) => p.layer),
      members: touching.map((m) => ({ layer: m.layer, className: m.className, role: m.role })),
      classes: list.map((c) => Int32Array.from(c)),
      blockers: blockers[g]!,
    };
  });
  return { groups, members, unsupported, groupOf, classOf };
}
