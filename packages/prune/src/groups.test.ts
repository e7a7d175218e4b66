import { OnnxModel } from '@shrinkray/onnx-io';
import { initBackend, Rng, Tensor, tf, tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { UnprunableStructureError } from './errors/unprunable-structure-error.js';
import { toOnnxBytes } from './files.js';
import { weightRole } from './graph.js';
import { removeGroupChannels } from './group-surgery.js';
import { buildGroups, type DependencyGraph, type DependencyGroup } from './groups.js';
import { countMacs } from './macs.js';
import { checkOnnx } from './onnx-check.test.util.js';

beforeAll(async () => {
  await initBackend();
});

let seed = 10;
const init = () => tfl.initializers.glorotNormal({ seed: seed++ });
const ones = () => tfl.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: seed++ });

function randomInput(shape: number[], s: number): tf.Tensor {
  const rng = new Rng(s);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/** Random BatchNormalization statistics and affine parameters (so the BN is not the identity). */
function randomizeBatchNorms(model: tfl.LayersModel): void {
  const rng = new Rng(77);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.setWeights(layer.getWeights().map((w, k) => tf.tensor(Float32Array.from({ length: w.size }, () => (k === 3 ? 0.5 + rng.next() : rng.normal() * 0.5 + (k === 0 ? 1 : 0))), w.shape)));
  }
}

function groupOf(graph: DependencyGraph, producer: string): DependencyGroup {
  const g = graph.groups.find((x) => x.producers.includes(producer));
  if (!g) throw new Error(`no group for ${producer}`);
  return g;
}

function membership(g: DependencyGroup): string[] {
  return g.members.map((m) => `${m.layer}:${m.role}`).sort();
}

/**
 * Makes the given channels of a group dead in every member that carries them forward (producer kernel
 * columns and bias, BatchNormalization gamma/beta, depthwise kernel slice and bias), the same way a
 * hard group mask would; consumers keep their weights.
 */
function zeroGroupChannels(model: tfl.LayersModel, graph: DependencyGraph, id: string, classes: number[]): void {
  const group = graph.groups.find((g) => g.id === id)!;
  const dead = new Set(classes.flatMap((c) => [...group.classes[c]!]));
  for (const m of graph.members) {
    if (m.role === 'in') continue;
    const positions = [...m.positions.keys()].filter((i) => dead.has(m.positions[i]!));
    if (positions.length === 0) continue;
    const layer = model.getLayer(m.layer);
    layer.setWeights(
      layer.weights.map((w) => {
        const role = weightRole(w);
        const v = w.read();
        if (role === 'moving_mean' || role === 'moving_variance') return v.clone();
        const data = v.dataSync().slice();
        const axis = role === 'depthwise_kernel' ? 2 : w.shape.length - 1;
        const size = w.shape[axis]!;
        const inner = w.shape.slice(axis + 1).reduce((a: number, b) => a * (b ?? 1), 1);
        for (let i = 0; i < data.length; i++) if (positions.includes(Math.floor(i / inner) % size)) data[i] = 0;
        return tf.tensor(data, v.shape);
      }),
    );
  }
}

/** The pruned model through ONNX: checker passes and ORT's outputs match tfjs'. */
async function onnxRoundTrip(model: tfl.LayersModel, x: tf.Tensor): Promise<number> {
  const bytes = await toOnnxBytes(model);
  expect(checkOnnx(bytes)).toBe('ok');
  const ort = await OnnxModel.create(bytes, { name: model.name });
  try {
    const a = await ort.predict(Tensor.fromTfjs(x) as Tensor<'float32'>);
    return maxAbsDiff(tf.tensor(a.data as Float32Array, a.shape as number[]), model.predict(x) as tf.Tensor);
  } finally {
    await ort.dispose();
  }
}

function residualModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] });
  const c0 = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c0', kernelInitializer: init(), biasInitializer: ones() }).apply(input) as tfl.SymbolicTensor;
  const c1 = tfl.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: init(), biasInitializer: ones() }).apply(c0) as tfl.SymbolicTensor;
  const c2 = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'c2', kernelInitializer: init(), biasInitializer: ones() }).apply(c1) as tfl.SymbolicTensor;
  const sum = tfl.layers.add({ name: 'add' }).apply([c0, c2]) as tfl.SymbolicTensor;
  const act = tfl.layers.activation({ activation: 'relu', name: 'relu' }).apply(sum) as tfl.SymbolicTensor;
  const c3 = tfl.layers.conv2d({ filters: 4, kernelSize: 1, strides: 2, activation: 'relu', name: 'c3', kernelInitializer: init(), biasInitializer: ones() }).apply(act) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(c3) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, name: 'out', kernelInitializer: init() }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'residual' });
}

/** An inverted residual block (MobileNetV2): expand 1×1, depthwise 3×3, project 1×1 + skip, with BN and ReLU6. */
function depthwiseModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] });
  const bnRelu6 = (x: tfl.SymbolicTensor, name: string, relu = true): tfl.SymbolicTensor => {
    const y = tfl.layers.batchNormalization({ name: `${name}_bn` }).apply(x) as tfl.SymbolicTensor;
    return relu ? (tfl.layers.activation({ activation: 'relu6', name: `${name}_relu6` }).apply(y) as tfl.SymbolicTensor) : y;
  };
  const stem = bnRelu6(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'stem', kernelInitializer: init() }).apply(input) as tfl.SymbolicTensor, 'stem');
  const expand = bnRelu6(tfl.layers.conv2d({ filters: 8, kernelSize: 1, useBias: false, name: 'expand', kernelInitializer: init() }).apply(stem) as tfl.SymbolicTensor, 'expand');
  const dw = bnRelu6(tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'dw', depthwiseInitializer: init() }).apply(expand) as tfl.SymbolicTensor, 'dw');
  const project = bnRelu6(tfl.layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, name: 'project', kernelInitializer: init() }).apply(dw) as tfl.SymbolicTensor, 'project', false);
  const skip = tfl.layers.add({ name: 'skip' }).apply([stem, project]) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(skip) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, name: 'out', kernelInitializer: init() }).apply(pooled) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out, name: 'depthwise' });
  randomizeBatchNorms(model);
  return model;
}

/** Two branches concatenated on the channel axis, then conv → Flatten → Dense. */
function concatModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 2] });
  const a = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'a', kernelInitializer: init(), biasInitializer: ones() }).apply(input) as tfl.SymbolicTensor;
  const b = tfl.layers.conv2d({ filters: 5, kernelSize: 1, activation: 'relu', name: 'b', kernelInitializer: init(), biasInitializer: ones() }).apply(input) as tfl.SymbolicTensor;
  const cat = tfl.layers.concatenate({ name: 'cat' }).apply([a, b]) as tfl.SymbolicTensor;
  const c = tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, activation: 'relu', name: 'c', kernelInitializer: init(), biasInitializer: ones() }).apply(cat) as tfl.SymbolicTensor;
  const flat = tfl.layers.flatten({ name: 'flat' }).apply(c) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 2, name: 'out', kernelInitializer: init() }).apply(flat) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'concat' });
}

describe('buildGroups + removeGroupChannels', () => {
  it('residual: the Add couples c0 and c2 (and every reader of the sum); removing a zeroed group is exact', async () => {
    const model = residualModel();
    const graph = buildGroups(model);
    const g = groupOf(graph, 'c0');
    expect([...g.producers].sort()).toEqual(['c0', 'c2']);
    expect(membership(g)).toEqual(['c0:out', 'c1:in', 'c2:out', 'c3:in']);
    expect(g.classes.length).toBe(6);
    expect(g.classes.every((c) => c.length === 2)).toBe(true); // channel k of c0 and channel k of c2
    expect(membership(groupOf(graph, 'c1'))).toEqual(['c1:out', 'c2:in']);
    expect(membership(groupOf(graph, 'c3'))).toEqual(['c3:out', 'out:in']);
    const outGroup = groupOf(graph, 'out');
    expect(outGroup.blockers.map((b) => b.layer)).toEqual(['out']);
    expect(graph.groups.filter((x) => x.blockers.length === 0)).toHaveLength(3);
    expect(graph.unsupported).toEqual([]);

    zeroGroupChannels(model, graph, g.id, [1, 4]);
    const small = await removeGroupChannels(model, graph, new Map([[g.id, [1, 4]], [groupOf(graph, 'c1').id, []]]));
    expect(small.getLayer('c0').getWeights()[0]!.shape).toEqual([3, 3, 3, 4]);
    expect(small.getLayer('c1').getWeights()[0]!.shape).toEqual([3, 3, 4, 5]);
    expect(small.getLayer('c2').getWeights()[0]!.shape).toEqual([3, 3, 5, 4]);
    expect(small.getLayer('c3').getWeights()[0]!.shape).toEqual([1, 1, 4, 4]);
    const x = randomInput([4, 8, 8, 3], 1);
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, small.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    // live channels: removing them changes the outputs (the check above is not vacuous)
    const live = await removeGroupChannels(model, graph, new Map([[g.id, [0]]]));
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, live.predict(x) as tf.Tensor)).toBeGreaterThan(1e-3);
    // hand count: c0 3·3·3·6, c1 3·3·6·5, c2 3·3·5·6, c3 6·4 per position on 4×4, out 4·3
    expect(countMacs(model).total).toBe(64 * 162 + 64 * 270 + 64 * 270 + 16 * 24 + 12);
    expect(countMacs(small).total).toBe(64 * 108 + 64 * 180 + 64 * 180 + 16 * 16 + 12);
    expect(await onnxRoundTrip(small, x)).toBeLessThan(1e-4);
  });

  it('depthwise: expand, BN, depthwise, BN and project input form one group; the skip Add couples stem and project', async () => {
    const model = depthwiseModel();
    const graph = buildGroups(model);
    const inner = groupOf(graph, 'expand');
    expect(inner.producers).toEqual(['expand']);
    expect(membership(inner)).toEqual(['dw:channel', 'dw_bn:channel', 'expand:out', 'expand_bn:channel', 'project:in']);
    const skip = groupOf(graph, 'stem');
    expect([...skip.producers].sort()).toEqual(['project', 'stem']);
    expect(membership(skip)).toEqual(['expand:in', 'out:in', 'project:out', 'project_bn:channel', 'stem:out', 'stem_bn:channel']);
    expect(skip.blockers).toEqual([]);

    const x = randomInput([4, 8, 8, 3], 2);
    zeroGroupChannels(model, graph, inner.id, [0, 3, 5]);
    zeroGroupChannels(model, graph, skip.id, [2]);
    const small = await removeGroupChannels(model, graph, new Map([[inner.id, [0, 3, 5]], [skip.id, [2]]]));
    expect(small.getLayer('dw').getWeights()[0]!.shape).toEqual([3, 3, 5, 1]);
    expect(small.getLayer('dw_bn').getWeights()[0]!.shape).toEqual([5]);
    expect(small.getLayer('project').getWeights()[0]!.shape).toEqual([1, 1, 5, 3]);
    expect(small.getLayer('out').getWeights()[0]!.shape).toEqual([3, 3]);
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, small.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    expect(await onnxRoundTrip(small, x)).toBeLessThan(1e-4);
  });

  it('concatenate: branches stay separate groups; the consumer loses rows at the right offsets; Flatten → Dense rows follow', async () => {
    const model = concatModel();
    const graph = buildGroups(model);
    expect(membership(groupOf(graph, 'a'))).toEqual(['a:out', 'c:in']);
    expect(membership(groupOf(graph, 'b'))).toEqual(['b:out', 'c:in']);
    const cGroup = groupOf(graph, 'c');
    expect(membership(cGroup)).toEqual(['c:out', 'out:in']);
    const cIn = graph.members.find((m) => m.layer === 'c' && m.role === 'in')!;
    const aFirst = groupOf(graph, 'a').classes[0]![0]!;
    const bFirst = groupOf(graph, 'b').classes[0]![0]!;
    expect(Array.from(cIn.positions)).toEqual([0, 1, 2].map((k) => aFirst + k).concat([0, 1, 2, 3, 4].map((k) => bFirst + k)));
    // Flatten of [2,2,4] (NHWC): flat position f holds channel f % 4 of c
    const outIn = graph.members.find((m) => m.layer === 'out' && m.role === 'in')!;
    expect(outIn.positions.length).toBe(16);
    const cFirst = cGroup.classes[0]![0]!;
    expect(Array.from(outIn.positions).every((e, f) => e === cFirst + (f % 4))).toBe(true);

    const removals = new Map([[groupOf(graph, 'a').id, [1]], [groupOf(graph, 'b').id, [0, 4]], [cGroup.id, [2]]]);
    for (const [id, list] of removals) zeroGroupChannels(model, graph, id, list);
    const small = await removeGroupChannels(model, graph, removals);
    expect(small.getLayer('c').getWeights()[0]!.shape).toEqual([3, 3, 5, 3]);
    expect(small.getLayer('out').getWeights()[0]!.shape).toEqual([12, 2]);
    // the kept rows of c's kernel are input channels 0, 2 (a) and 3+1, 3+2, 3+3 (b)
    const before = model.getLayer('c').getWeights()[0]!.arraySync() as number[][][][];
    const after = small.getLayer('c').getWeights()[0]!.arraySync() as number[][][][];
    expect(after[1]![1]!.map((row) => row[0])).toEqual([0, 2, 4, 5, 6].map((i) => before[1]![1]![i]![0]));
    const x = randomInput([5, 6, 6, 2], 3);
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, small.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    expect(await onnxRoundTrip(small, x)).toBeLessThan(1e-4);
  });

  it('an op it does not understand blocks its input channels, is reported, and a removal there names it', async () => {
    const input = tfl.input({ shape: [4, 4, 2] });
    const a = tfl.layers.conv2d({ filters: 3, kernelSize: 1, name: 'a', kernelInitializer: init() }).apply(input) as tfl.SymbolicTensor;
    const r = tfl.layers.reshape({ targetShape: [16, 3], name: 'reshape' }).apply(a) as tfl.SymbolicTensor;
    const f = tfl.layers.flatten({ name: 'flat' }).apply(r) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 2, name: 'out', kernelInitializer: init() }).apply(f) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    const graph = buildGroups(model);
    expect(graph.unsupported.map((u) => `${u.layer}:${u.className}`)).toEqual(['reshape:Reshape']);
    const g = groupOf(graph, 'a');
    expect(g.blockers.map((b) => b.layer)).toEqual(['reshape']);
    const error = await removeGroupChannels(model, graph, new Map([[g.id, [0]]])).catch((e: unknown) => e);
    expect(UnprunableStructureError.isInstance(error)).toBe(true);
    expect((error as UnprunableStructureError).layer).toBe('reshape');
  });

  it('a residual Add with the model input blocks the group; a softmax activation is not element-wise', () => {
    const input = tfl.input({ shape: [4] });
    const a = tfl.layers.dense({ units: 4, name: 'a' }).apply(input) as tfl.SymbolicTensor;
    const s = tfl.layers.add({ name: 'skip' }).apply([input, a]) as tfl.SymbolicTensor;
    const b = tfl.layers.dense({ units: 4, name: 'b' }).apply(s) as tfl.SymbolicTensor;
    const sm = tfl.layers.activation({ activation: 'softmax', name: 'sm' }).apply(b) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 2, name: 'out' }).apply(sm) as tfl.SymbolicTensor;
    const graph = buildGroups(tfl.model({ inputs: input, outputs: out }));
    expect(groupOf(graph, 'a').blockers.map((x) => x.layer)).toEqual(['skip']);
    expect(groupOf(graph, 'b').blockers.map((x) => x.layer)).toEqual(['sm']);
    expect(graph.unsupported.map((u) => u.layer)).toEqual(['sm']);
  });
});
