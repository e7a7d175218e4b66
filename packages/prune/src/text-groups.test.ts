import { OnnxTextModel } from '@shrinkray/onnx-io';
import { initBackend, type Tensor, tf, type tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { toOnnxBytes } from './files.js';
import { removeGroupChannels } from './group-surgery.js';
import { buildGroups, type DependencyGraph, type DependencyGroup } from './groups.js';
import { countMacs } from './macs.js';
import { checkOnnx } from './onnx-check.test.util.js';
import { removeUnits } from './surgery.js';
import { ids, LENGTH, textBag, textCnn, VOCAB } from './text-models.test.util.js';

beforeAll(async () => {
  await initBackend();
});

function groupOf(graph: DependencyGraph, producer: string): DependencyGroup {
  const g = graph.groups.find((x) => x.producers.includes(producer));
  if (!g) throw new Error(`no group for ${producer}`);
  return g;
}

const membership = (g: DependencyGroup): string[] => g.members.map((m) => `${m.layer}:${m.role}`).sort();

/** Zeroes channels `positions` of a producer: its table/kernel columns (last axis) and bias. */
function zeroOutputs(model: tfl.LayersModel, layer: string, positions: readonly number[]): void {
  const l = model.getLayer(layer);
  l.setWeights(
    l.weights.map((w) => {
      const data = w.read().dataSync().slice() as Float32Array;
      const size = w.shape[w.shape.length - 1]!;
      for (let i = 0; i < data.length; i++) if (positions.includes(i % size)) data[i] = 0;
      return tf.tensor(data, w.shape as number[]);
    }),
  );
}

function predict(model: tfl.LayersModel, x: Tensor<'int32'>): Float32Array {
  return tf.tidy(() => (model.predict(x.toTfjs()) as tf.Tensor).dataSync() as Float32Array);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The model through ONNX: Debian's checker passes and ORT (fed int32 ids) computes what tfjs computes. */
async function onnxRoundTrip(model: tfl.LayersModel, x: Tensor<'int32'>): Promise<number> {
  const bytes = await toOnnxBytes(model);
  expect(checkOnnx(bytes)).toBe('ok');
  const ort = await OnnxTextModel.create(bytes, { name: model.name, padId: 0 });
  try {
    return maxAbsDiff((await ort.predict(x)).data, predict(model, x));
  } finally {
    await ort.dispose();
  }
}

describe('dependency groups of text students', () => {
  it('text-bag: the embedding dimensions are coupled through the masked mean with the dense layer\'s input rows; removing zeroed ones is exact', async () => {
    const model = textBag();
    const graph = buildGroups(model);
    expect(graph.unsupported).toEqual([]);
    const emb = groupOf(graph, 'embedding');
    expect(emb.producers).toEqual(['embedding']);
    expect(membership(emb)).toEqual(['dense_1:in', 'embedding:out']);
    expect(emb.classes.length).toBe(6);
    expect(emb.blockers).toEqual([]);
    expect(membership(groupOf(graph, 'dense_1'))).toEqual(['dense_1:out', 'logits:in']);
    expect(groupOf(graph, 'logits').blockers[0]?.reason).toBe('produces a model output');

    const x = ids(12, 1);
    zeroOutputs(model, 'embedding', [1, 4]);
    zeroOutputs(model, 'dense_1', [2]);
    const before = predict(model, x);
    const small = await removeGroupChannels(model, graph, new Map([[emb.id, [1, 4]], [groupOf(graph, 'dense_1').id, [2]]]));
    expect(small.getLayer('embedding').getWeights()[0]!.shape).toEqual([VOCAB, 4]);
    expect(small.getLayer('dense_1').getWeights()[0]!.shape).toEqual([4, 4]);
    expect(small.getLayer('logits').getWeights()[0]!.shape).toEqual([4, 3]);
    // the removed dimensions were exactly zero: the same arithmetic minus zero terms
    expect(maxAbsDiff(predict(small, x), before)).toBe(0);
    expect(await onnxRoundTrip(small, x)).toBeLessThan(1e-5);
  });

  it('text-cnn: embedding dimensions go with the convolution\'s input channels, its filters with the dense rows through global max pooling; removal is exact', async () => {
    const model = textCnn();
    const graph = buildGroups(model);
    expect(graph.unsupported).toEqual([]);
    const emb = groupOf(graph, 'embedding');
    expect(membership(emb)).toEqual(['conv:in', 'embedding:out']);
    const conv = groupOf(graph, 'conv');
    expect(membership(conv)).toEqual(['conv:out', 'dense_1:in']);
    expect(conv.classes.length).toBe(8);

    const x = ids(12, 2);
    zeroOutputs(model, 'embedding', [0, 5]);
    zeroOutputs(model, 'conv', [3, 6, 7]);
    const before = predict(model, x);
    const small = await removeGroupChannels(model, graph, new Map([[emb.id, [0, 5]], [conv.id, [3, 6, 7]]]));
    expect(small.getLayer('conv').getWeights()[0]!.shape).toEqual([3, 4, 5]);
    expect(small.getLayer('dense_1').getWeights()[0]!.shape).toEqual([5, 5]);
    expect(maxAbsDiff(predict(small, x), before)).toBe(0);
    expect(await onnxRoundTrip(small, x)).toBeLessThan(1e-5);
  });

  it('removeUnits (the gradual structured path) follows Conv1D filters through global max pooling and embedding dimensions through the masked mean', async () => {
    const bag = textBag();
    zeroOutputs(bag, 'embedding', [2]);
    const x = ids(8, 3);
    const smallBag = await removeUnits(bag, new Map([['embedding', [2]]]));
    expect(smallBag.getLayer('dense_1').getWeights()[0]!.shape).toEqual([5, 5]);
    expect(maxAbsDiff(predict(smallBag, x), predict(bag, x))).toBe(0);
    const cnn = textCnn();
    zeroOutputs(cnn, 'conv', [0, 1]);
    const smallCnn = await removeUnits(cnn, new Map([['conv', [0, 1]]]));
    expect(smallCnn.getLayer('dense_1').getWeights()[0]!.shape).toEqual([6, 5]);
    expect(maxAbsDiff(predict(smallCnn, x), predict(cnn, x))).toBe(0);
  });

  it('MACs: Conv1D L·k·Cin·Cout, Dense in·out, Embedding a lookup (0), hand-computed before and after removal', async () => {
    const model = textCnn();
    const macs = countMacs(model);
    const by = Object.fromEntries(macs.layers.map((l) => [l.layer, l.macs]));
    expect(by).toEqual({ embedding: 0, conv: LENGTH * 3 * 6 * 8, dense_1: 8 * 5, logits: 5 * 3 });
    expect(macs.total).toBe(7 * 3 * 6 * 8 + 40 + 15);
    const graph = buildGroups(model);
    const small = await removeGroupChannels(model, graph, new Map([[groupOf(graph, 'embedding').id, [0, 1]], [groupOf(graph, 'conv').id, [0, 1, 2, 3]]]));
    expect(countMacs(small).total).toBe(7 * 3 * 4 * 4 + 4 * 5 + 15);
    expect(countMacs(textBag()).total).toBe(6 * 5 + 5 * 3);
  });
});
