import { initBackend, Rng, tf, tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { l1 } from './criteria.js';
import { hard, softDecay } from './modes.js';
import { prunableLayers, Pruner } from './pruner.js';

beforeAll(async () => {
  await initBackend();
});

function mlp(seed: number): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [10], units: 30, activation: 'relu', name: 'fc1', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }),
      tfl.layers.dense({ units: 20, activation: 'relu', name: 'fc2', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }),
      tfl.layers.dense({ units: 4, name: 'out', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 2 }) }),
    ],
  });
}

const kernel = (m: tfl.LayersModel, name: string) => m.getLayer(name).getWeights()[0]!.dataSync() as Float32Array;
const zeros = (a: Float32Array) => a.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);

describe('prunableLayers', () => {
  it('excludes the output layer by default and named layers on request', () => {
    const m = mlp(1);
    expect(prunableLayers(m).map((l) => l.name)).toEqual(['fc1', 'fc2']);
    expect(prunableLayers(m, { includeOutputLayer: true, exclude: ['fc1'] }).map((l) => l.name)).toEqual(['fc2', 'out']);
    expect(() => prunableLayers(m, { exclude: ['nope'] })).toThrow(/has no layer 'nope'/);
  });
});

describe('Pruner', () => {
  it('hard masks: exact sparsity per layer (layer scope) and overall (global scope)', async () => {
    const m = mlp(2);
    const p = new Pruner(m, { layers: prunableLayers(m), criterion: l1, mode: hard, scope: 'layer', structured: false });
    await p.select(0, 0.7);
    p.step(0);
    expect(zeros(kernel(m, 'fc1'))).toBe(210); // 0.7 · 300
    expect(zeros(kernel(m, 'fc2'))).toBe(420); // 0.7 · 600
    expect(zeros(kernel(m, 'out'))).toBe(0);

    const g = mlp(3);
    const pg = new Pruner(g, { layers: prunableLayers(g), criterion: l1, mode: hard, scope: 'global', structured: false });
    await pg.select(0, 0.7);
    pg.step(0);
    expect(zeros(kernel(g, 'fc1')) + zeros(kernel(g, 'fc2'))).toBe(630); // 0.7 · 900
    // global: one threshold, every pruned |w| below every kept |w| across both layers
    const all = [...kernel(g, 'fc1'), ...kernel(g, 'fc2')];
    const orig = mlp(3);
    const before = [...kernel(orig, 'fc1'), ...kernel(orig, 'fc2')];
    const maxPruned = Math.max(...before.filter((_, i) => all[i] === 0).map(Math.abs));
    const minKept = Math.min(...before.filter((_, i) => all[i] !== 0).map(Math.abs));
    expect(maxPruned).toBeLessThanOrEqual(minKept);
  });

  it('hard masks keep pruned weights at exactly zero after optimizer steps', async () => {
    const m = mlp(4);
    const p = new Pruner(m, { layers: prunableLayers(m), criterion: l1, mode: hard, scope: 'layer', structured: false });
    await p.select(0, 0.5);
    p.finalize();
    const mask = kernel(m, 'fc1').map((v) => (v === 0 ? 0 : 1));
    const rng = new Rng(5);
    const x = tf.tensor2d(Float32Array.from({ length: 64 * 10 }, () => rng.normal()), [64, 10]);
    const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: 64 }, () => rng.int(4)), 'int32'), 4);
    const opt = tf.train.adam(0.05);
    for (let s = 1; s <= 5; s++) {
      opt.minimize(() => tf.losses.softmaxCrossEntropy(y, m.apply(x) as tf.Tensor) as tf.Scalar);
      // before re-applying, the optimizer has moved pruned weights off zero (Adam updates every weight)
      if (s === 1) expect(zeros(kernel(m, 'fc1'))).toBeLessThan(150);
      p.step(s);
    }
    const after = kernel(m, 'fc1');
    expect(zeros(after)).toBe(150);
    for (const [i, v] of after.entries()) expect(v === 0).toBe(mask[i] === 0);
  });

  it('soft-decay: a selected weight is w_orig·exp(−decayRate·k) after k steps, may recover, and is zeroed at the end', async () => {
    const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 2, name: 'a', useBias: false }), tfl.layers.dense({ units: 2, name: 'out' })] });
    m.getLayer('a').setWeights([tf.tensor2d([0.1, 2, -3, 0.2], [2, 2])]);
    const rate = 0.25;
    const p = new Pruner(m, { layers: prunableLayers(m), criterion: l1, mode: softDecay, scope: 'layer', structured: false, decayRate: rate });
    await p.select(0, 0.5); // selects 0.1 and 0.2
    for (let k = 1; k <= 3; k++) p.step(k);
    const w = kernel(m, 'a');
    expect(w[0]).toBeCloseTo(0.1 * Math.exp(-rate * 3), 7);
    expect(w[3]).toBeCloseTo(0.2 * Math.exp(-rate * 3), 7);
    expect(w[1]).toBe(2);
    expect(w[2]).toBe(-3);
    // the optimizer grows weight 0 back (importance returns): the next selection releases it
    m.getLayer('a').setWeights([tf.tensor2d([5, 2, -3, w[3]!], [2, 2])]);
    await p.select(4, 0.5); // now selects 2 (|2| < |−3| < |5|) and keeps w[3] selected
    p.step(4);
    const r = kernel(m, 'a');
    expect(r[0]).toBe(5);
    expect(r[1]).toBeCloseTo(2 * Math.exp(-rate), 6);
    expect(p.getState().layers['a']!.selectedAt).toEqual([-1, 4, -1, 0]);
    p.finalize();
    expect([...kernel(m, 'a')]).toEqual([5, 0, -3, 0]);
  });

  it('structured masks zero whole units: kernel column, bias and following BatchNorm gamma/beta', async () => {
    const m = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [3], units: 4, name: 'h', biasInitializer: 'ones' }),
        tfl.layers.batchNormalization({ name: 'bn' }),
        tfl.layers.dense({ units: 2, name: 'out' }),
      ],
    });
    m.getLayer('h').setWeights([tf.tensor2d([1, 0.1, 3, -4, 1, 0.1, 3, -4, 1, 0.2, 3, -4], [3, 4]), tf.ones([4])]);
    const p = new Pruner(m, { layers: prunableLayers(m), criterion: l1, mode: hard, scope: 'layer', structured: true });
    await p.select(0, 0.5); // unit L1 norms 3, 0.4, 9, 12 -> remove units 1 and 0
    p.finalize();
    expect([...p.selectedUnits().get('h')!]).toEqual([0, 1]);
    expect([...kernel(m, 'h')]).toEqual([0, 0, 3, -4, 0, 0, 3, -4, 0, 0, 3, -4]);
    expect([...m.getLayer('h').getWeights()[1]!.dataSync()]).toEqual([0, 0, 1, 1]);
    const [gamma, beta] = m.getLayer('bn').getWeights();
    expect([...gamma!.dataSync()]).toEqual([0, 0, 1, 1]);
    expect([...beta!.dataSync()]).toEqual([0, 0, 0, 0]);
  });
});
