import { OnnxModel } from '@shrinkray/onnx-io';
import { ConfigError, Dataset, initBackend, Rng, Tensor, tf, tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldBatchNorm, insertBatchNorm } from './batch-norm.js';
import { toOnnxBytes } from './files.js';
import { checkOnnx } from './onnx-check.test.util.js';
import { prune, type PruneEvent } from './prune.js';
import { untouchable } from './untouchable.test.util.js';

beforeAll(async () => {
  await initBackend();
});

const init = (seed: number) => tfl.initializers.glorotNormal({ seed });

function randomInputs(shape: number[], batches: number, seed: number): tf.Tensor[] {
  const rng = new Rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: batches }, () => tf.tensor(Float32Array.from({ length: size }, () => rng.normal() + 0.5), shape));
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

/**
 * A residual block (c0 relu → c1 relu → c2 linear, c0 + c2), a depthwise convolution with a fused
 * relu6, a bias-free convolution, a convolution already followed by BatchNormalization, pooling and a
 * classifier.
 */
function model(): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 2] });
  const c0 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c0', kernelInitializer: init(1), biasInitializer: 'ones' }).apply(input) as tfl.SymbolicTensor;
  const c1 = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: init(2), biasInitializer: 'ones' }).apply(c0) as tfl.SymbolicTensor;
  const c2 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c2', kernelInitializer: init(3), biasInitializer: 'ones' }).apply(c1) as tfl.SymbolicTensor;
  const sum = tfl.layers.add({ name: 'add' }).apply([c0, c2]) as tfl.SymbolicTensor;
  const dw = tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu6', name: 'dw', depthwiseInitializer: init(4), biasInitializer: 'ones' }).apply(sum) as tfl.SymbolicTensor;
  const nb = tfl.layers.conv2d({ filters: 5, kernelSize: 1, useBias: false, name: 'nobias', kernelInitializer: init(5) }).apply(dw) as tfl.SymbolicTensor;
  const c3 = tfl.layers.conv2d({ filters: 3, kernelSize: 1, name: 'c3', kernelInitializer: init(6) }).apply(nb) as tfl.SymbolicTensor;
  const bn = tfl.layers.batchNormalization({ name: 'bn3' }).apply(c3) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(bn) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, name: 'out', kernelInitializer: init(7) }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'bnfold' });
}

/** Weights of every layer with some, as [class, shapes] pairs, and each layer's activation: the structure. */
function structure(m: tfl.LayersModel): unknown[] {
  return m.layers.map((l) => [l.name, l.getClassName(), (l.getConfig() as { activation?: string }).activation ?? null, l.getWeights().map((w) => w.shape)]);
}

describe('insertBatchNorm', () => {
  it('inserts BN after every convolution not already followed by one, leaving inference outputs unchanged (residual, depthwise, fused activations)', async () => {
    const m = model();
    const inputs = randomInputs([8, 6, 6, 2], 3, 11);
    const insertion = await insertBatchNorm(m, inputs);
    expect(insertion.inserted.map((e) => e.layer)).toEqual(['c0', 'c1', 'c2', 'dw', 'nobias']);
    expect(insertion.skipped).toEqual([{ layer: 'c3', reason: 'already followed by BatchNormalization bn3' }]);
    expect(insertion.inserted.find((e) => e.layer === 'dw')!.activation?.name).toBe('relu6');
    expect(insertion.inserted.find((e) => e.layer === 'c2')!.activation).toBeUndefined();
    expect(insertion.inserted.find((e) => e.layer === 'nobias')!.hadBias).toBe(false);
    // the fused activations moved behind the BN: the convolutions are linear while it is in
    expect((insertion.model.getLayer('c0').getConfig() as { activation: string }).activation).toBe('linear');
    expect(insertion.model.layers.filter((l) => l.getClassName() === 'BatchNormalization')).toHaveLength(6);
    for (const x of [...inputs, ...randomInputs([5, 6, 6, 2], 1, 12)]) {
      const before = m.predict(x) as tf.Tensor;
      expect(maxAbsDiff(before, insertion.model.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    }
  });

  it('initialises each BN from its convolution\'s per-channel mean and variance on the inputs (plain loops over a tap of the original)', async () => {
    const m = model();
    const inputs = randomInputs([8, 6, 6, 2], 2, 21);
    const insertion = await insertBatchNorm(m, inputs, { epsilon: 1e-3 });
    // c2 is linear and dw's pre-activation is read from a copy of the layer without its relu6
    const tap = tfl.model({ inputs: m.inputs, outputs: [m.getLayer('c2').output as tfl.SymbolicTensor, m.getLayer('add').output as tfl.SymbolicTensor] });
    const outs = inputs.map((x) => tap.predict(x) as tf.Tensor[]);
    const dwLinear = tf.tidy(() => {
      const [k, b] = m.getLayer('dw').getWeights();
      return outs.map(([, s]) => tf.add(tf.depthwiseConv2d(s as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), b!));
    });
    for (const [layer, ys] of [['c2', outs.map((o) => o[0]!)], ['dw', dwLinear]] as const) {
      const values = ys.map((y) => y.dataSync());
      const channels = ys[0]!.shape.at(-1)!;
      const mean = new Float64Array(channels);
      const sq = new Float64Array(channels);
      let n = 0;
      for (const v of values) for (let i = 0; i < v.length; i++) mean[i % channels]! += v[i]!;
      for (const v of values) n += v.length / channels;
      for (let c = 0; c < channels; c++) mean[c]! /= n;
      for (const v of values) for (let i = 0; i < v.length; i++) sq[i % channels]! += (v[i]! - mean[i % channels]!) ** 2;
      const bn = insertion.model.getLayer(insertion.inserted.find((e) => e.layer === layer)!.batchNorm);
      const [gamma, beta, movingMean, movingVariance] = bn.getWeights().map((w) => w.dataSync());
      for (let c = 0; c < channels; c++) {
        const variance = sq[c]! / n;
        expect(movingMean![c]).toBeCloseTo(mean[c]!, 4);
        expect(beta![c]).toBeCloseTo(mean[c]!, 4);
        expect(movingVariance![c]).toBeCloseTo(variance, 4);
        expect(gamma![c]).toBeCloseTo(Math.sqrt(variance + 1e-3), 4);
      }
    }
  });

  it("init 'fresh' starts γ = 1, β = 0 with the same measured moving statistics, so inference normalises each convolution's output", async () => {
    const m = model();
    const inputs = randomInputs([8, 6, 6, 2], 2, 21);
    const identity = await insertBatchNorm(m, inputs, { epsilon: 1e-3 });
    const fresh = await insertBatchNorm(m, inputs, { epsilon: 1e-3, init: 'fresh' });
    for (const entry of fresh.inserted) {
      const [gamma, beta, movingMean, movingVariance] = fresh.model.getLayer(entry.batchNorm).getWeights().map((w) => w.dataSync());
      const [, , identityMean, identityVariance] = identity.model.getLayer(entry.batchNorm).getWeights().map((w) => w.dataSync());
      expect([...gamma!]).toEqual(new Array(gamma!.length).fill(1));
      expect([...beta!]).toEqual(new Array(beta!.length).fill(0));
      expect([...movingMean!]).toEqual([...identityMean!]);
      expect([...movingVariance!]).toEqual([...identityVariance!]);
    }
    // The first convolution's input is unchanged, so its BN now emits (y − μ)/√(σ² + ε) per channel: mean ≈ 0,
    // variance ≈ 1 over the measured inputs (later ones read normalised inputs, so their statistics moved).
    const tap = tfl.model({ inputs: fresh.model.inputs, outputs: fresh.model.getLayer(fresh.inserted.find((e) => e.layer === 'c0')!.batchNorm).output as tfl.SymbolicTensor });
    const ys = tf.tidy(() => tf.concat(inputs.map((x) => tap.predict(x) as tf.Tensor)));
    const { mean, variance } = tf.tidy(() => tf.moments(ys, [0, 1, 2]));
    for (const v of mean.dataSync()) expect(Math.abs(v)).toBeLessThan(1e-4);
    for (const v of variance.dataSync()) expect(v).toBeCloseTo(1, 2);
    tf.dispose([ys, mean, variance, ...inputs]);
    await expect(insertBatchNorm(m, inputs, { init: 'random' as 'fresh' })).rejects.toSatisfy((e) => ConfigError.isInstance(e) && String((e as Error).message).includes('init'));
  });
});

describe('foldBatchNorm', () => {
  it('folds changed BN statistics and affine weights back: the original structure, outputs equal to the BN model\'s within 1e-5, ONNX checked and ORT = tfjs', async () => {
    const m = model();
    const inputs = randomInputs([8, 6, 6, 2], 2, 31);
    const insertion = await insertBatchNorm(m, inputs);
    // as after fine-tuning: every inserted BN and every convolution gets other weights
    const rng = new Rng(5);
    for (const e of insertion.inserted) {
      const bn = insertion.model.getLayer(e.batchNorm);
      const n = bn.getWeights()[0]!.shape[0]!;
      const draw = (lo: number, hi: number) => tf.tensor1d(Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next()));
      bn.setWeights([draw(0.5, 2), draw(-1, 1), draw(-0.5, 0.5), draw(0.2, 3)]);
    }
    const x = randomInputs([6, 6, 6, 2], 1, 32)[0]!;
    const expected = insertion.model.predict(x) as tf.Tensor;
    expect(maxAbsDiff(expected, m.predict(x) as tf.Tensor)).toBeGreaterThan(1e-2);
    const folded = await foldBatchNorm(insertion);
    // same layers as the model that went in, a bias now on the bias-free convolution
    const want = structure(m).map((s) => ((s as unknown[])[0] === 'nobias' ? ['nobias', 'Conv2D', 'linear', [[1, 1, 8, 5], [5]]] : s));
    expect(structure(folded)).toEqual(want);
    expect(maxAbsDiff(folded.predict(x) as tf.Tensor, expected)).toBeLessThan(1e-5);
    const bytes = await toOnnxBytes(folded);
    expect(checkOnnx(bytes)).toBe('ok');
    const ort = await OnnxModel.create(bytes, { name: 'folded' });
    try {
      const a = await ort.predict(Tensor.fromTfjs(x) as Tensor<'float32'>);
      expect(maxAbsDiff(tf.tensor(a.data as Float32Array, a.shape as number[]), folded.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    } finally {
      await ort.dispose();
    }
  });
});

describe('prune({ finetune: { batchNorm: "reinsert" } })', () => {
  const labelled = (n: number, seed: number): Dataset => {
    const rng = new Rng(seed);
    const x = new Tensor('float32', [n, 6, 6, 2], Float32Array.from({ length: n * 72 }, () => rng.normal()));
    const y = Int32Array.from({ length: n }, (_, i) => (x.data[i * 72]! > 0 ? 1 : 0) + (x.data[i * 72 + 1]! > 0 ? 1 : 0));
    return Dataset.fromArrays(x, y, { numClasses: 3 });
  };

  it('fine-tunes with BN in and returns the pruned model\'s structure (no BN layers added), with the insertions in the report', async () => {
    const events: PruneEvent[] = [];
    const options = { model: model(), data: { train: labelled(64, 1), test: labelled(32, 2) }, sparsity: 0.5, structured: true, seed: 3, exportOnnx: false as const };
    const plain = await prune(options);
    const { model: pruned, report } = await prune({ ...options, recalibrate: { batches: 2, batchSize: 16 }, finetune: { epochs: 2, batchSize: 16, batchNorm: 'reinsert' }, onEvent: (e) => events.push(e) });
    // the same layers, activations and kernel shapes as the plain prune (the bias-free convolution gains a bias)
    const kernels = (m: tfl.LayersModel) => structure(m).map((s) => [...(s as unknown[]).slice(0, 3), ((s as unknown[])[3] as number[][])[0] ?? null]);
    expect(kernels(pruned)).toEqual(kernels(plain.model));
    expect(pruned.layers.filter((l) => l.getClassName() === 'BatchNormalization').map((l) => l.name)).toEqual(['bn3']);
    expect(report.finetune?.batchNorm?.inserted).toEqual(['c0', 'c1', 'c2', 'dw', 'nobias']);
    expect(report.finetune?.batchNorm?.rows).toBe(32);
    expect(events.filter((e) => e.type === 'batch-norm').map((e) => (e as { phase: string }).phase)).toEqual(['inserted', 'folded']);
    expect(events.some((e) => e.type === 'train')).toBe(true);
    // it trained: the weights moved away from the recalibrated, not fine-tuned model
    const recal = await prune({ ...options, recalibrate: { batches: 2, batchSize: 16 } });
    expect(maxAbsDiff(pruned.getLayer('c1').getWeights()[0]!, recal.model.getLayer('c1').getWeights()[0]!)).toBeGreaterThan(1e-4);
  });

  it('rejects bad options with a ConfigError before any data is read', async () => {
    const base = { data: { train: untouchable([6, 6, 2], 3) }, sparsity: 0.5, exportOnnx: false as const };
    const bad = [
      { structured: true, finetune: { epochs: 1, batchNorm: 'sometimes' } },
      { structured: true, finetune: { epochs: 1, batchNorm: { momentum: 1.5 } } },
      { structured: true, finetune: { epochs: 1, batchNorm: { epsilon: 0 } } },
      { structured: true, finetune: { epochs: 0, batchNorm: 'reinsert' } },
      { structured: true, finetune: { epochs: 1, batchNorm: 'reinsert', checkpointDir: '/tmp/x' } },
      { structured: false, finetune: { epochs: 1, batchNorm: 'reinsert' } },
    ];
    for (const b of bad) {
      await expect(prune({ model: model(), ...base, ...(b as object) } as Parameters<typeof prune>[0])).rejects.toSatisfy((e) => ConfigError.isInstance(e) && String((e as Error).message).includes('batchNorm'));
    }
  });
});
