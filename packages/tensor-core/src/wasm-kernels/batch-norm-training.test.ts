import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormTraining, batchNormTrainingFusable } from './batch-norm-training.js';
import { applyWasmTrainingKernels, removeWasmTrainingKernels } from './index.js';
import { expectClose, expectNoLeaks, kernelsOf, onCpu, randomData, relativeError, tensorOf, tf, useWasm } from './kit.test.shared.js';

beforeAll(useWasm);

const EPSILON = 1e-3;

/**
 * Outputs, statistics and gradients (w.r.t. x, scale, offset) of Σ w·y + Σ u·mean + Σ v·variance,
 * flattened: through the fused op (`fused`) or through tf.moments + tf.batchNorm (the reference).
 */
function training(shape: number[], fused: boolean, shift = 0, headShift = 0): () => tf.Tensor {
  const c = shape[shape.length - 1]!;
  const x = randomData(shape, 71);
  // `headShift` moves the first 256 rows (the fused kernel's variance shift comes from them) away from the rest.
  const values = x.values.map((v, i) => v + shift + (i < 256 * c ? headShift : 0));
  const w = randomData(shape, 72);
  const u = randomData([c], 73);
  const v = randomData([c], 74);
  const scale = randomData([c], 75);
  const offset = randomData([c], 76);
  return () => {
    const op = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] => {
      if (fused) return batchNormTraining(a, s, o, EPSILON);
      const { mean, variance } = tf.moments(a, shape.slice(0, -1).map((_, i) => i));
      return [tf.batchNorm(a, mean, variance, o, s, EPSILON), mean, variance];
    };
    const loss = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
      const [y, mean, variance] = op(a, s, o);
      return tf.addN([tf.sum(tf.mul(y, tensorOf(w))), tf.sum(tf.mul(mean, tensorOf(u))), tf.sum(tf.mul(variance, tensorOf(v)))]);
    };
    const inputs = [tf.tensor(values, shape), tensorOf(scale), tensorOf(offset)] as [tf.Tensor, tf.Tensor, tf.Tensor];
    const outputs = op(...inputs);
    const grads = tf.grads((a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => loss(a, s, o))(inputs);
    return tf.concat([...outputs, ...grads].map((g) => tf.reshape(g, [-1])));
  };
}

/** Splits {@link training}'s flat result into y, mean, variance and the gradients w.r.t. x, scale, offset. */
function parts(flat: Float32Array, shape: readonly number[]): Record<string, Float32Array> {
  const c = shape[shape.length - 1]!;
  const n = shape.reduce((a, b) => a * b, 1);
  const sizes: [string, number][] = [['y', n], ['mean', c], ['variance', c], ['dx', n], ['dscale', c], ['doffset', c]];
  const out: Record<string, Float32Array> = {};
  let at = 0;
  for (const [name, size] of sizes) {
    out[name] = flat.subarray(at, at + size);
    at += size;
  }
  expect(at).toBe(flat.length);
  return out;
}

describe('BatchNormalization training as one op (ShrinkrayBatchNormTraining)', () => {
  for (const [shape, shift, headShift] of [
    [[8, 6, 5, 12], 0, 0],
    [[40, 9, 9, 16], 0, 0],
    [[300, 8], 0, 0],
    [[600, 4], 3, 0],
    [[2000, 8], 10, 4],
    // Far from zero, the naive one-pass E[x²] − E[x]² loses the variance to cancellation (5e-2 relative here).
    [[1000, 8], 1000, 0],
    [[20, 7, 7, 4], 100, 30],
  ] as const) {
    it(`[${shape}]${shift ? `, inputs shifted by ${shift}` : ''}${headShift ? `, first 256 rows by ${headShift} more` : ''}: outputs, statistics and gradients equal tf.moments + tf.batchNorm on the cpu backend, no leaks`, async () => {
      let got: Float32Array = new Float32Array();
      let calls: string[] = [];
      expectNoLeaks(() => {
        calls = kernelsOf(() => {
          const t = tf.tidy(training([...shape], true, shift, headShift));
          got = t.dataSync() as Float32Array;
          t.dispose();
        });
      });
      expect(calls).toContain('ShrinkrayBatchNormTraining');
      expect(calls).toContain('ShrinkrayBatchNormTrainingGrad');
      expect(calls).not.toContain('Square');
      // Each part on its own scale: a joint max-relative error would let the large gradients hide an
      // error in the variance or in the statistics' gradient paths.
      const reference = await onCpu(training([...shape], false, shift, headShift));
      const expected = parts(reference, shape);
      for (const [name, part] of Object.entries(parts(got, shape))) {
        expect({ name, error: relativeError(part, expected[name]!) < 1e-4 }).toEqual({ name, error: true });
      }
    });
  }

  it('is not offered for channels that are not a multiple of 4, rank 5 (tfjs-layers refuses it), or on the cpu backend', async () => {
    expect(tf.tidy(() => batchNormTrainingFusable(tf.zeros([4, 3, 3, 7])))).toBe(false);
    expect(tf.tidy(() => batchNormTrainingFusable(tf.zeros([4, 3, 3, 8])))).toBe(true);
    expect(tf.tidy(() => batchNormTrainingFusable(tf.zeros([2, 4, 3, 3, 8])))).toBe(false);
    await tf.setBackend('cpu');
    try {
      expect(tf.tidy(() => batchNormTrainingFusable(tf.zeros([4, 3, 3, 8])))).toBe(false);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});

/**
 * A (conv +) BatchNormalization model with seeded weights: a few SGD steps' losses, then its weights
 * (moving statistics included) and inference output. Without the conv the input has `channels` channels
 * (stock tfjs-backend-wasm has no Conv2DBackpropFilter).
 */
function layerRun(channels: number, steps: number, withConv = true): () => Float32Array[] {
  const inChannels = withConv ? 3 : channels;
  const x = randomData([6, 7, 7, inChannels], 81);
  const target = randomData([6, 7, 7, channels], 82);
  return () => {
    const input = tfl.input({ shape: [7, 7, inChannels] });
    const features = withConv ? (tfl.layers.conv2d({ filters: channels, kernelSize: 3, padding: 'same', useBias: false }).apply(input) as tfl.SymbolicTensor) : input;
    const model = tfl.model({ inputs: input, outputs: tfl.layers.batchNormalization({ momentum: 0.9 }).apply(features) as tfl.SymbolicTensor });
    model.setWeights(model.weights.map((w, i) => tf.tensor(randomData(w.shape as number[], 90 + i).values.map((v) => (w.name.includes('variance') ? Math.abs(v) + 0.5 : v)), w.shape as number[])));
    const optimizer = tf.train.sgd(0.05);
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      const loss = optimizer.minimize(() => tf.losses.meanSquaredError(tensorOf(target), model.apply(tensorOf(x), { training: true }) as tf.Tensor) as tf.Scalar, true)!;
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
    }
    const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
    const inference = tf.tidy(() => (model.apply(tensorOf(x), { training: false }) as tf.Tensor).dataSync() as Float32Array);
    model.dispose();
    optimizer.dispose();
    return [Float32Array.from(losses), ...weights, inference];
  };
}

describe("tfjs-layers' BatchNormalization layer in training mode on wasm", () => {
  it('runs the fused op; losses, weights and moving statistics equal the cpu backend over 3 steps; no leaks over repeated steps', async () => {
    let calls: string[] = [];
    let got: Float32Array[] = [];
    calls = kernelsOf(() => {
      got = layerRun(8, 3)();
    });
    expect(calls).toContain('ShrinkrayBatchNormTraining');
    expect(calls).not.toContain('Square');
    await tf.setBackend('cpu');
    const reference = layerRun(8, 3)();
    await tf.setBackend('wasm');
    // Losses, each weight (moving mean and variance included) and the inference output, each on its own scale.
    expect(got.length).toBe(reference.length);
    for (const [i, part] of got.entries()) expectClose(part, reference[i]!, 1e-4);
    // Repeated training steps on one model leave nothing behind.
    const input = tfl.input({ shape: [5, 5, 4] });
    const model = tfl.model({ inputs: input, outputs: tfl.layers.batchNormalization().apply(input) as tfl.SymbolicTensor });
    const optimizer = tf.train.sgd(0.01);
    const step = () => optimizer.minimize(() => tf.sum(tf.square(model.apply(tf.ones([4, 5, 5, 4]), { training: true }) as tf.Tensor)) as tf.Scalar);
    step();
    expectNoLeaks(() => {
      for (let i = 0; i < 20; i++) step();
    });
    model.dispose();
    optimizer.dispose();
  });

  it("channels not a multiple of 4, and the kernel fixes removed, keep tfjs-layers' own path", async () => {
    let calls = kernelsOf(() => layerRun(6, 1)());
    expect(calls).not.toContain('ShrinkrayBatchNormTraining');
    removeWasmTrainingKernels();
    try {
      calls = kernelsOf(() => layerRun(8, 1, false)());
      expect(calls).not.toContain('ShrinkrayBatchNormTraining');
      expect(calls).toContain('Square');
    } finally {
      applyWasmTrainingKernels();
    }
  });
});
