import { ConfigError, Dataset, initBackend, Rng, Tensor, tf, tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecalibrationMismatchError } from './errors/recalibration-mismatch-error.js';
import { keptOutputChannels, removeGroupChannels } from './group-surgery.js';
import { buildGroups } from './groups.js';
import { prune, type PruneEvent } from './prune.js';
import { recalibrate } from './recalibrate.js';
import { untouchable } from './untouchable.test.util.js';

beforeAll(async () => {
  await initBackend();
});

function randomInputs(shape: number[], batches: number, seed: number): tf.Tensor[] {
  const rng = new Rng(seed);
  return Array.from({ length: batches }, () => {
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(Float32Array.from({ length: size }, () => rng.normal() + 0.3), shape);
  });
}

/** Population mean and standard deviation of every column of a row-major [n, c] array. */
function columnStats(rows: number[][]): { mean: number[]; std: number[] } {
  const c = rows[0]!.length;
  const mean = Array.from({ length: c }, (_, j) => rows.reduce((s, r) => s + r[j]!, 0) / rows.length);
  const std = mean.map((m, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j]! - m) ** 2, 0) / rows.length));
  return { mean, std };
}

/** Pre-activation outputs of every Dense layer of a Dense-only model, by plain loops (relu between layers where configured). */
function denseForward(model: tfl.LayersModel, x: number[][]): Map<string, number[][]> {
  const out = new Map<string, number[][]>();
  let h = x;
  for (const layer of model.layers.filter((l) => l.getClassName() === 'Dense')) {
    const [w, b] = layer.getWeights().map((t) => t.arraySync() as number[] | number[][]);
    const kernel = w as number[][];
    const bias = b as number[];
    const pre = h.map((row) => bias.map((bj, j) => row.reduce((s, v, i) => s + v * kernel[i]![j]!, bj)));
    out.set(layer.name, pre);
    const relu = (layer.getConfig() as { activation: string }).activation === 'relu';
    h = pre.map((row) => row.map((v) => (relu ? Math.max(0, v) : v)));
  }
  return out;
}

function mlp(): tfl.LayersModel {
  const input = tfl.input({ shape: [3] });
  const a = tfl.layers.dense({ units: 4, activation: 'relu', name: 'a', kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }), biasInitializer: 'ones' }).apply(input) as tfl.SymbolicTensor;
  const b = tfl.layers.dense({ units: 3, activation: 'relu', name: 'b', kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }), biasInitializer: 'ones' }).apply(a) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 2, name: 'out', kernelInitializer: tfl.initializers.glorotNormal({ seed: 3 }) }).apply(b) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

describe('recalibrate', () => {
  it('makes each pruned Dense layer\'s pre-activation mean/std equal the dense model\'s on the calibration rows (hand loops, fused relu)', async () => {
    const dense = mlp();
    const graph = buildGroups(dense);
    const gA = graph.groups.find((g) => g.producers[0] === 'a')!.id;
    const gB = graph.groups.find((g) => g.producers[0] === 'b')!.id;
    const removals = new Map([[gA, [1, 3]], [gB, [1]]]);
    const pruned = await removeGroupChannels(dense, graph, removals);
    const kept = keptOutputChannels(graph, removals);
    expect([...kept.get('a')!]).toEqual([0, 2]);
    expect([...kept.get('b')!]).toEqual([0, 2]);
    const inputs = randomInputs([8, 3], 2, 5);
    const rows = inputs.flatMap((x) => x.arraySync() as number[][]);
    const before = columnStats(denseForward(pruned, rows).get('out')!);
    const report = recalibrate({ dense, pruned, inputs, keptOutputs: kept });
    expect(report.layers.map((l) => l.layer)).toEqual(['a', 'b', 'out']);
    expect(report.rows).toBe(16);
    const d = denseForward(dense, rows);
    const p = denseForward(pruned, rows);
    for (const [layer, map] of [['a', [0, 2]], ['b', [0, 2]], ['out', [0, 1]]] as const) {
      const ds = columnStats(d.get(layer)!);
      const ps = columnStats(p.get(layer)!);
      map.forEach((c, j) => {
        expect(ps.mean[j]).toBeCloseTo(ds.mean[c]!, 4);
        expect(ps.std[j]).toBeCloseTo(ds.std[c]!, 4);
      });
    }
    // the classifier's statistics really moved (it was not already calibrated)
    const after = columnStats(p.get('out')!);
    expect(Math.abs(after.std[0]! - before.std[0]!) + Math.abs(after.mean[0]! - before.mean[0]!)).toBeGreaterThan(1e-3);
  });

  it('corrects conv and depthwise producers of a residual block on their own outputs, before the Add', async () => {
    const init = (seed: number) => tfl.initializers.glorotNormal({ seed });
    const input = tfl.input({ shape: [5, 5, 2] });
    const c1 = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'c1', kernelInitializer: init(1), biasInitializer: 'ones' }).apply(input) as tfl.SymbolicTensor;
    const r1 = tfl.layers.activation({ activation: 'relu', name: 'r1' }).apply(c1) as tfl.SymbolicTensor;
    const dw = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw', depthwiseInitializer: init(2), biasInitializer: 'ones' }).apply(r1) as tfl.SymbolicTensor;
    const r2 = tfl.layers.activation({ activation: 'relu', name: 'r2' }).apply(dw) as tfl.SymbolicTensor;
    const c2 = tfl.layers.conv2d({ filters: 6, kernelSize: 1, strides: 1, name: 'c2', kernelInitializer: init(3) }).apply(r2) as tfl.SymbolicTensor;
    const sum = tfl.layers.add({ name: 'add' }).apply([c1, c2]) as tfl.SymbolicTensor;
    const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(sum) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 2, name: 'out', kernelInitializer: init(4) }).apply(gap) as tfl.SymbolicTensor;
    const dense = tfl.model({ inputs: input, outputs: out });
    const graph = buildGroups(dense);
    const g = graph.groups.find((x) => x.producers.includes('c1') && x.producers.includes('c2'))!;
    const removals = new Map([[g.id, [0, 3, 4]]]);
    const pruned = await removeGroupChannels(dense, graph, removals);
    const kept = keptOutputChannels(graph, removals);
    expect([...kept.get('dw')!]).toEqual([1, 2, 5]);
    const inputs = randomInputs([4, 5, 5, 2], 2, 9);
    const report = recalibrate({ dense, pruned, inputs, keptOutputs: kept });
    expect(report.layers.map((l) => l.layer)).toEqual(['c1', 'dw', 'c2', 'out']);
    // the layers are linear here, so their outputs are the pre-activations: measure them independently
    const stats = (model: tfl.LayersModel, name: string) => {
      const tap = tfl.model({ inputs: model.inputs, outputs: model.getLayer(name).output as tfl.SymbolicTensor });
      const rows = inputs.flatMap((x) => {
        const y = tap.predict(x) as tf.Tensor;
        const c = y.shape.at(-1)!;
        const flat = tf.reshape(y, [-1, c]).arraySync() as number[][];
        y.dispose();
        return flat;
      });
      return columnStats(rows);
    };
    for (const name of ['c1', 'dw', 'c2', 'out']) {
      const ds = stats(dense, name);
      const ps = stats(pruned, name);
      const map = name === 'out' ? [0, 1] : [1, 2, 5];
      map.forEach((c, j) => {
        expect(ps.mean[j]).toBeCloseTo(ds.mean[c]!, 4);
        expect(ps.std[j]).toBeCloseTo(ds.std[c]!, 4);
      });
    }
  });

  it('is the identity on an unpruned model', async () => {
    const dense = mlp();
    const copy = await tfl.models.modelFromJSON({ modelTopology: dense.toJSON(null, false) } as unknown as Parameters<typeof tfl.models.modelFromJSON>[0]);
    copy.setWeights(dense.getWeights());
    const inputs = randomInputs([8, 3], 2, 3);
    expect(recalibrate({ dense, pruned: copy, inputs }).layers).toEqual([]);
    // and with every layer forced: scale 1 and shift 0 up to rounding
    const report = recalibrate({ dense, pruned: copy, inputs, layers: ['a', 'b', 'out'] });
    expect(report.layers).toHaveLength(3);
    const a = dense.getWeights().map((w) => w.dataSync());
    const b = copy.getWeights().map((w) => w.dataSync());
    for (const [i, w] of a.entries()) for (const [k, v] of w.entries()) expect(b[i]![k]!).toBeCloseTo(v, 5);
  });

  it('names the layer when the kept channels do not match', async () => {
    const dense = mlp();
    const graph = buildGroups(dense);
    const gA = graph.groups.find((g) => g.producers[0] === 'a')!.id;
    const pruned = await removeGroupChannels(dense, graph, new Map([[gA, [1]]]));
    const inputs = randomInputs([4, 3], 1, 1);
    const error = (() => {
      try {
        recalibrate({ dense, pruned, inputs });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(RecalibrationMismatchError.isInstance(error)).toBe(true);
    expect((error as RecalibrationMismatchError).layer).toBe('a');
  });
});

describe('prune({ recalibrate })', () => {
  it('rejects bad options with a ConfigError before any data is read', async () => {
    for (const recal of [{ batches: 0 }, { batches: 1.5 }, { batches: 2, batchSize: 1 }]) {
      await expect(prune({ model: mlp(), data: { train: untouchable([3], 2) }, sparsity: 0.5, structured: true, recalibrate: recal, exportOnnx: false })).rejects.toSatisfy((e) => ConfigError.isInstance(e));
    }
    await expect(prune({ model: mlp(), data: { train: untouchable([3], 2) }, sparsity: 0.5, recalibrate: { batches: 2 }, exportOnnx: false })).rejects.toSatisfy((e) => ConfigError.isInstance(e) && String((e as Error).message).includes('recalibrate'));
  });

  it('recalibrates after the prune step, emits an event and reports the layers', async () => {
    const rng = new Rng(2);
    const x = new Tensor('float32', [32, 3], Float32Array.from({ length: 96 }, () => rng.normal()));
    const y = Int32Array.from({ length: 32 }, (_, i) => i % 2);
    const train = Dataset.fromArrays(x, y, { numClasses: 2 });
    const events: PruneEvent[] = [];
    const { report } = await prune({ model: mlp(), data: { train }, sparsity: 0.5, structured: true, recalibrate: { batches: 2, batchSize: 8 }, exportOnnx: false, onEvent: (e) => events.push(e) });
    expect(report.recalibration?.rows).toBe(16);
    expect(report.recalibration?.layers.map((l) => l.layer)).toEqual(['a', 'b', 'out']);
    expect(events.filter((e) => e.type === 'recalibrate')).toHaveLength(1);
  });
});
