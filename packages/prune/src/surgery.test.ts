import { initBackend, Rng, tf, tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LayerEmptiedError } from './errors/layer-emptied-error.js';
import { UnprunableStructureError } from './errors/unprunable-structure-error.js';
import { countParams, removeUnits } from './surgery.js';

beforeAll(async () => {
  await initBackend();
});

function randomInput(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

/** Zeroes the kernel columns and biases of `units` in a Dense/Conv2D layer (makes them dead). */
function kill(layer: tfl.layers.Layer, units: number[]): void {
  const [kernel, bias] = layer.getWeights();
  const kData = kernel!.dataSync().slice();
  const out = kernel!.shape[kernel!.shape.length - 1]!;
  for (let i = 0; i < kData.length; i++) if (units.includes(i % out)) kData[i] = 0;
  const bData = bias!.dataSync().slice();
  for (const u of units) bData[u] = 0;
  layer.setWeights([tf.tensor(kData, kernel!.shape), tf.tensor(bData, bias!.shape)]);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('removeUnits', () => {
  it('removes dead Dense units and the next layer rows: same function, fewer parameters', async () => {
    const model = tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [20], units: 12, activation: 'relu', name: 'h1', kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }), biasInitializer: 'ones' }),
          tfl.layers.dense({ units: 8, activation: 'relu', name: 'h2', kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }), biasInitializer: 'ones' }),
          tfl.layers.dense({ units: 3, name: 'out', kernelInitializer: tfl.initializers.glorotNormal({ seed: 3 }) }),
        ],
    });
    kill(model.getLayer('h1'), [0, 4, 11]);
    kill(model.getLayer('h2'), [7]);
    const small = await removeUnits(model, new Map([['h1', [0, 4, 11]], ['h2', [7]]]));
    expect(small.getLayer('h1').getWeights()[0]!.shape).toEqual([20, 9]);
    expect(small.getLayer('h2').getWeights()[0]!.shape).toEqual([9, 7]);
    expect(small.getLayer('out').getWeights()[0]!.shape).toEqual([7, 3]);
    // hand count: 20·9+9 + 9·7+7 + 7·3+3
    expect(countParams(small)).toBe(189 + 70 + 24);
    const x = randomInput([16, 20], 5);
    const diff = maxAbsDiff(model.predict(x) as tf.Tensor, small.predict(x) as tf.Tensor);
    expect(diff).toBeLessThan(1e-5);
    // removing live units changes the function (the check above is not vacuous)
    const live = await removeUnits(model, new Map([['h1', [1]]]));
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, live.predict(x) as tf.Tensor)).toBeGreaterThan(1e-3);
  });

  it('removes Conv2D filters through BatchNormalization, ReLU, pooling and Flatten (NHWC order)', async () => {
    const model = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [8, 8, 2], filters: 6, kernelSize: 3, padding: 'same', name: 'c1', kernelInitializer: tfl.initializers.glorotNormal({ seed: 4 }), biasInitializer: 'ones' }),
          tfl.layers.batchNormalization({ name: 'bn1' }),
          tfl.layers.reLU({ name: 'r1' }),
          tfl.layers.maxPooling2d({ poolSize: 2, name: 'p1' }),
          tfl.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c2', kernelInitializer: tfl.initializers.glorotNormal({ seed: 5 }), biasInitializer: 'ones' }),
          tfl.layers.flatten({ name: 'f' }),
          tfl.layers.dense({ units: 4, name: 'out', kernelInitializer: tfl.initializers.glorotNormal({ seed: 6 }) }),
        ],
    });
    // non-trivial BN statistics; the removed channels get gamma = beta = 0 so they are dead after BN
    const bn = model.getLayer('bn1');
    const rng = new Rng(9);
    const gamma = Float32Array.from({ length: 6 }, () => 0.5 + rng.next());
    const beta = Float32Array.from({ length: 6 }, () => rng.normal());
    const mean = Float32Array.from({ length: 6 }, () => rng.normal());
    const variance = Float32Array.from({ length: 6 }, () => 0.5 + rng.next());
    for (const c of [1, 3]) gamma[c] = beta[c] = 0;
    bn.setWeights([tf.tensor(gamma), tf.tensor(beta), tf.tensor(mean), tf.tensor(variance)]);
    kill(model.getLayer('c2'), [0, 2]);
    const small = await removeUnits(model, new Map([['c1', [1, 3]], ['c2', [0, 2]]]));
    expect(small.getLayer('c1').getWeights()[0]!.shape).toEqual([3, 3, 2, 4]);
    expect(small.getLayer('bn1').getWeights().map((w) => w.shape)).toEqual([[4], [4], [4], [4]]);
    expect([...small.getLayer('bn1').getWeights()[2]!.dataSync()]).toEqual([mean[0], mean[2], mean[4], mean[5]]);
    expect(small.getLayer('c2').getWeights()[0]!.shape).toEqual([3, 3, 4, 3]);
    expect(small.getLayer('out').getWeights()[0]!.shape).toEqual([4 * 4 * 3, 4]);
    const x = randomInput([4, 8, 8, 2], 7);
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, small.predict(x) as tf.Tensor)).toBeLessThan(1e-4);
  });

  it('follows removed filters through Permute + Flatten (NCHW flatten order of imported PyTorch models)', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [6, 6, 3], filters: 5, kernelSize: 3, activation: 'relu', name: 'c', kernelInitializer: tfl.initializers.glorotNormal({ seed: 8 }), biasInitializer: 'ones' }),
        tfl.layers.permute({ dims: [3, 1, 2], name: 'to_nchw' }),
        tfl.layers.flatten({ name: 'f' }),
        tfl.layers.dense({ units: 3, name: 'out', kernelInitializer: tfl.initializers.glorotNormal({ seed: 9 }) }),
      ],
    });
    kill(model.getLayer('c'), [0, 3]);
    const small = await removeUnits(model, new Map([['c', [0, 3]]]));
    // NCHW flatten: channel-major, so the 16 rows of channels 0 and 3 go: [3·16, 3]
    expect(small.getLayer('out').getWeights()[0]!.shape).toEqual([48, 3]);
    const rows = small.getLayer('out').getWeights()[0]!.dataSync();
    const orig = model.getLayer('out').getWeights()[0]!.dataSync();
    // first kept channel (1) starts at original row 16
    expect([...rows.slice(0, 3)]).toEqual([...orig.slice(16 * 3, 16 * 3 + 3)]);
    const x = randomInput([3, 6, 6, 3], 10);
    expect(maxAbsDiff(model.predict(x) as tf.Tensor, small.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
  });

  it('rejects a residual Add whose inputs lose different channels, naming the Add layer', async () => {
    const input = tfl.input({ shape: [10] });
    const a = tfl.layers.dense({ units: 6, name: 'a' }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.dense({ units: 6, name: 'b' }).apply(input) as tfl.SymbolicTensor;
    const sum = tfl.layers.add({ name: 'residual' }).apply([a, b]) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 2, name: 'out' }).apply(sum) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    await expect(removeUnits(model, new Map([['a', [1]]]))).rejects.toThrow(UnprunableStructureError);
    await expect(removeUnits(model, new Map([['a', [1]], ['b', [2]]]))).rejects.toThrow(/layer residual: cannot prune structurally: Add inputs are pruned differently: a loses channels \[1\] \(1\), b loses channels \[2\] \(1\)/);
    // the same channels removed on both branches is fine
    const ok = await removeUnits(model, new Map([['a', [1]], ['b', [1]]]));
    expect(ok.getLayer('out').getWeights()[0]!.shape).toEqual([5, 2]);
  });

  it('rejects removing model outputs and every unit of a layer', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 3, name: 'h' }), tfl.layers.dense({ units: 2, name: 'out' })] });
    await expect(removeUnits(model, new Map([['out', [0]]]))).rejects.toThrow(/layer out: cannot prune structurally: it produces the model output/);
    await expect(removeUnits(model, new Map([['h', [0, 1, 2]]]))).rejects.toThrow(LayerEmptiedError);
  });
});
