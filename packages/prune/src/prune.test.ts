import { Dataset, initBackend, PluginError, Rng, Tensor, tf, tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidSparsityError } from './errors/invalid-sparsity-error.js';
import { kernelGradients } from './gradients.js';
import { type PruneEvent, prune } from './prune.js';
import { sensitivity } from './sensitivity.js';

beforeAll(async () => {
  await initBackend();
});

/** Three Gaussian blobs in 12 dimensions: learnable in a few steps. */
function blobs(n: number, seed: number): { x: Tensor<'float32'>; y: Int32Array } {
  const fixed = new Rng(99);
  const centres = [0, 1, 2].map(() => Array.from({ length: 12 }, () => fixed.normal()));
  const rng = new Rng(seed);
  const x = new Float32Array(n * 12);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.int(3);
    for (let d = 0; d < 12; d++) x[i * 12 + d] = centres[y[i]!]![d]! + rng.normal();
  }
  return { x: new Tensor('float32', [n, 12], x), y };
}

function mlp(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [12], units: 32, activation: 'relu', name: 'fc1', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: 16, activation: 'relu', name: 'fc2', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
      tfl.layers.dense({ units: 3, name: 'out', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
}

const kernel = (m: tfl.LayersModel, name: string) => m.getLayer(name).getWeights()[0]!.dataSync() as Float32Array;
const zeros = (a: Float32Array) => a.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
const asDataset = (d: { x: Tensor<'float32'>; y: Int32Array }, name: string) => Dataset.fromArrays(d.x, d.y, { name, numClasses: 3 });
const train = asDataset(blobs(384, 1), 'train');
const test = asDataset(blobs(192, 2), 'test');

describe('prune', () => {
  it('polynomial hard pruning to 75% with fine-tuning: exact sparsity, zeros stay zero, input model untouched', async () => {
    const model = mlp();
    const original = kernel(model, 'fc1').slice();
    const events: PruneEvent[] = [];
    const { model: pruned, report } = await prune({
      model,
      data: { train, test },
      sparsity: 0.75,
      schedule: 'polynomial',
      finetune: { epochs: 4, batchSize: 64, optimizer: { name: 'adam', learningRate: 0.01 } },
      seed: 3,
      exportOnnx: false,
      onEvent: (e) => events.push(e),
    });
    expect([...kernel(model, 'fc1')]).toEqual([...original]);
    // 24 steps; end = 12; 16 updates requested -> frequency 1: steps 0..11 ramp, 12 = target
    expect(report.updates.map((u) => u.step)).toEqual([...Array.from({ length: 12 }, (_, i) => i), 12]);
    expect(report.updates[6]!.sparsity).toBeCloseTo(0.75 - 0.75 * 0.5 ** 3, 12);
    expect(zeros(kernel(pruned, 'fc1'))).toBe(288); // 0.75 · 384
    expect(zeros(kernel(pruned, 'fc2'))).toBe(384); // 0.75 · 512
    expect(zeros(kernel(pruned, 'out'))).toBe(0);
    expect(report.layers.map((l) => l.sparsity)).toEqual([0.75, 0.75]);
    expect(report.sparsity).toBe(0.75);
    // hand count: 12·32+32 + 32·16+16 + 16·3+3 = 995 stored, of which the 51 biases start at 0;
    // after: 672 kernel weights zeroed, every bias trained away from 0
    expect(report.params).toEqual({ before: 995 - 51, after: 995 - 672, storedBefore: 995, storedAfter: 995 });
    // the 12 steps after the final selection trained the kept weights while pruned ones stayed 0
    const finalIndex = events.findIndex((e) => e.type === 'finalize');
    expect(finalIndex).toBeGreaterThan(0);
    expect(events.slice(finalIndex).filter((e) => e.type === 'train' && e.event.type === 'batch').length).toBeGreaterThanOrEqual(12);
    expect(report.accuracy!.before).toBeLessThan(0.8);
    expect(report.accuracy!.after).toBeGreaterThan(0.9);
  });

  it('structured one-shot: removes units, shrinks parameters, model stays consistent', async () => {
    const { model: pruned, report } = await prune({ model: mlp(), data: { train, test }, sparsity: 0.5, structured: true, criterion: 'l2' });
    expect(pruned.getLayer('fc1').getWeights()[0]!.shape).toEqual([12, 16]);
    expect(pruned.getLayer('fc2').getWeights()[0]!.shape).toEqual([16, 8]);
    expect(pruned.getLayer('out').getWeights()[0]!.shape).toEqual([8, 3]);
    expect(report.params.storedAfter).toBe(12 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3);
    expect(report.layers.map((l) => l.units)).toEqual([
      { before: 32, after: 16 },
      { before: 16, after: 8 },
    ]);
    expect(report.sparsity).toBe(0.5);
    // the exported ONNX graph shrinks with the parameters: 4 bytes per float32 weight fewer
    const saved = (report.params.storedBefore - report.params.storedAfter) * 4;
    expect(report.onnx!.before.bytes - report.onnx!.after.bytes).toBeGreaterThanOrEqual(saved);
    expect(report.onnx!.after.gzipBytes).toBeLessThan(report.onnx!.before.gzipBytes);
  });

  it('structured: one-shot operates before fine-tuning (the smaller model trains); polynomial masks units, then removes them', async () => {
    const events: PruneEvent[] = [];
    const oneShot = await prune({ model: mlp(), data: { train, test }, sparsity: 0.5, structured: true, finetune: { epochs: 1, batchSize: 64 }, exportOnnx: false, onEvent: (e) => events.push(e) });
    const surgeryAt = events.findIndex((e) => e.type === 'surgery');
    const firstBatch = events.findIndex((e) => e.type === 'train' && e.event.type === 'batch');
    expect(surgeryAt).toBeGreaterThanOrEqual(0);
    expect(surgeryAt).toBeLessThan(firstBatch);
    expect(oneShot.model.getLayer('fc1').getWeights()[0]!.shape).toEqual([12, 16]);
    const gradual = await prune({ model: mlp(), data: { train, test }, sparsity: 0.5, structured: true, schedule: 'polynomial', finetune: { epochs: 2, batchSize: 64, optimizer: { name: 'adam', learningRate: 0.01 } }, exportOnnx: false });
    expect(gradual.model.getLayer('fc2').getWeights()[0]!.shape).toEqual([16, 8]);
    expect(gradual.report.updates.at(-1)).toEqual({ step: 6, sparsity: 0.5 });
    // chance is 1/3; 12 steps on the masked model, then surgery, still learn the blobs
    expect(gradual.report.accuracy!.after).toBeGreaterThan(0.8);
  });

  it('soft-decay reaches the same exact final sparsity as hard', async () => {
    const { model: pruned, report } = await prune({ model: mlp(), data: { train }, sparsity: 0.6, schedule: 'constant', mode: 'soft-decay', finetune: { epochs: 2, batchSize: 64 }, exportOnnx: false });
    expect(zeros(kernel(pruned, 'fc1'))).toBe(Math.round(0.6 * 384));
    expect(zeros(kernel(pruned, 'fc2'))).toBe(Math.round(0.6 * 512));
    expect(report.mode).toBe('soft-decay');
  });

  it('taylor scores from gradients on the training data prune exactly too, and differ from magnitude', async () => {
    const model = mlp();
    const taylorRun = await prune({ model, data: { train }, sparsity: 0.5, criterion: 'taylor', exportOnnx: false });
    const l1Run = await prune({ model, data: { train }, sparsity: 0.5, criterion: 'l1', exportOnnx: false });
    const a = kernel(taylorRun.model, 'fc1');
    const b = kernel(l1Run.model, 'fc1');
    expect(zeros(a)).toBe(192);
    expect(a.some((v, i) => (v === 0) !== (b[i] === 0))).toBe(true);
  });

  it('typed errors: sparsity out of range names the layer, unknown criterion lists the registered ones', async () => {
    await expect(prune({ model: mlp(), data: { train }, sparsity: 1 })).rejects.toThrow(InvalidSparsityError);
    await expect(prune({ model: mlp(), data: { train }, sparsity: 0.5, layers: { overrides: { fc2: 1.5 } } })).rejects.toThrow('layer fc2: sparsity must be in [0, 1), got 1.5');
    await expect(prune({ model: mlp(), data: { train }, sparsity: 0.5, criterion: 'magic' })).rejects.toThrow(PluginError);
    await expect(prune({ model: mlp(), data: { train }, sparsity: 0.5, criterion: 'magic' })).rejects.toThrow('unknown pruning criterion "magic"; registered: l1, l2, random, taylor');
    await expect(prune({ model: mlp(), data: { train }, sparsity: 0.99, structured: true, layers: { only: ['fc2'] } })).rejects.toThrow('layer fc2: sparsity 0.99 would prune all 16 units; at least one must remain');
  });
});

describe('kernelGradients', () => {
  it('matches a central finite difference of the cross-entropy', async () => {
    const model = mlp();
    const data = blobs(16, 4);
    const g = (await kernelGradients(model, ['fc2'], asDataset(data, 'blobs'), { batches: 1, batchSize: 16 })).get('fc2')!;
    const loss = (): number =>
      tf.tidy(() => {
        const logits = model.predict(data.x.toTfjs()) as tf.Tensor2D;
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(data.y, 'int32'), 3), logits).dataSync()[0]!;
      });
    const layer = model.getLayer('fc2');
    const [k, b] = layer.getWeights();
    const base = k!.dataSync().slice();
    for (const i of [0, 37, 200]) {
      const eps = 1e-2;
      const plus = base.slice();
      plus[i]! += eps;
      layer.setWeights([tf.tensor(plus, k!.shape), b!]);
      const lp = loss();
      const minus = base.slice();
      minus[i]! -= eps;
      layer.setWeights([tf.tensor(minus, k!.shape), b!]);
      const lm = loss();
      expect(g[i]).toBeCloseTo((lp - lm) / (2 * eps), 3);
    }
  });
});

describe('sensitivity', () => {
  it('probes each layer alone, restores weights, and sparsity 0 gives the baseline', async () => {
    const model = mlp();
    const before = kernel(model, 'fc1').slice();
    const report = await sensitivity({ model, data: test, sparsities: [0, 0.5, 0.95] });
    expect(report.layers.map((l) => l.layer)).toEqual(['fc1', 'fc2']);
    for (const l of report.layers) expect(l.points[0]!.accuracy).toBe(report.baseline);
    expect([...kernel(model, 'fc1')]).toEqual([...before]);
  });
});
