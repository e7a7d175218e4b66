import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomData, relativeError, tf, useWasm } from '../kit.test.shared.js';
import { kernelUsage, resetKernelUsage } from './runtime.js';

beforeAll(useWasm);
afterAll(useWasm);

type Builder = () => tfl.LayersModel;

const builders: Record<string, { build: Builder; input: number[] }> = {
  mlp: {
    input: [200],
    build: () =>
      tfl.sequential({
        layers: [tfl.layers.dense({ inputShape: [200], units: 128, activation: 'relu' }), tfl.layers.dense({ units: 96, activation: 'relu' }), tfl.layers.dense({ units: 10 })],
      }),
  },
  cnn: {
    input: [16, 16, 3],
    build: () =>
      tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [16, 16, 3], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tfl.layers.maxPooling2d({ poolSize: 2 }),
          tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }),
          tfl.layers.conv2d({ filters: 24, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu' }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 10 }),
        ],
      }),
  },
  resnet: {
    input: [12, 12, 3],
    build: () => {
      const conv = (x: tfl.SymbolicTensor, filters: number, kernelSize: number, strides: number) =>
        tfl.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false }).apply(x) as tfl.SymbolicTensor;
      const bn = (x: tfl.SymbolicTensor) => tfl.layers.batchNormalization().apply(x) as tfl.SymbolicTensor;
      const relu = (x: tfl.SymbolicTensor) => tfl.layers.activation({ activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
      const input = tfl.input({ shape: [12, 12, 3] });
      const stem = relu(bn(conv(input, 8, 3, 1)));
      const body = bn(conv(relu(bn(conv(stem, 16, 3, 2))), 16, 3, 1));
      const shortcut = bn(conv(stem, 16, 1, 2));
      const merged = relu(tfl.layers.add().apply([body, shortcut]) as tfl.SymbolicTensor);
      const pooled = tfl.layers.globalAveragePooling2d({}).apply(merged) as tfl.SymbolicTensor;
      return tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 10 }).apply(pooled) as tfl.SymbolicTensor });
    },
  },
};

const BATCH = 16;
const STEPS = 3;

/** Trains `STEPS` Adam steps from `initial` weights on the active backend; losses and final weights. */
function train(name: string, initial: Float32Array[]): { losses: number[]; weights: Float32Array[] } {
  const { build, input } = builders[name]!;
  const model = build();
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(initial[i]!, w.shape)));
  const optimizer = tf.train.adam(1e-2);
  const x = randomData([BATCH, ...input], 61);
  const labels = Array.from({ length: BATCH }, (_, i) => (i * 7) % 10);
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    const loss = tf.tidy(() => {
      const xs = tf.tensor(x.values, x.shape);
      const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
      return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor), true)!;
    });
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
  }
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  model.dispose();
  optimizer.dispose();
  return { losses, weights };
}

describe('tfjs-layers training with ORT kernels equals the cpu backend', () => {
  for (const name of Object.keys(builders)) {
    it(`${name}: ${STEPS} Adam steps, batch ${BATCH}: losses and weights match, heavy kernels ran in ORT`, { timeout: 120_000 }, async () => {
      await tf.setBackend('cpu');
      // Seeded initial weights (the layers' initialisers are not): a failure reproduces. Scaled like the
      // initialisers; BatchNormalization's moving variances stay positive.
      const probe = builders[name]!.build();
      const initial = probe.weights.map((w, i) => {
        const values = randomData(w.shape as number[], 300 + i).values.map((v) => v * 0.3);
        return w.name.includes('moving_variance') ? values.map((v) => Math.abs(v) + 0.5) : values;
      });
      probe.dispose();
      const reference = train(name, initial);
      await useWasm();
      resetKernelUsage();
      const got = train(name, initial);
      const usage = kernelUsage();
      const ortCalls = Object.values(usage).reduce((n, u) => n + u.ort, 0);
      expect(ortCalls).toBeGreaterThan(0);
      if (name !== 'mlp') expect(usage[tf.Conv2DBackpropFilter]?.ort ?? 0).toBeGreaterThan(0);
      expect(relativeError(got.losses, reference.losses)).toBeLessThan(1e-4);
      for (const [i, w] of got.weights.entries()) expect(relativeError(w, reference.weights[i]!)).toBeLessThan(1e-4);
    });
  }
});
