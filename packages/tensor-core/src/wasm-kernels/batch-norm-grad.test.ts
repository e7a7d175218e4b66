import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, expectNoLeaks, kernelsOf, onCpu, randomData, tensorOf, tf, useWasm } from './kit.test.shared.js';

beforeAll(useWasm);

/** Concatenated gradients (flattened) of Σ w·batchNorm(...) with respect to every input. */
function gradients(shape: number[], fromMoments: boolean): () => tf.Tensor {
  const c = shape[shape.length - 1]!;
  const x = randomData(shape, 41);
  const w = randomData(shape, 42);
  const mean = randomData([c], 43);
  const variance = { shape: [c], values: randomData([c], 44).values.map((v) => Math.abs(v) + 0.5) };
  const scale = randomData([c], 45);
  const offset = randomData([c], 46);
  return () => {
    const [xs, m, v, s, o] = [x, mean, variance, scale, offset].map(tensorOf) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const bn = (input: tf.Tensor, stats: { mean: tf.Tensor; variance: tf.Tensor }, sc: tf.Tensor, off: tf.Tensor) =>
      tf.sum(tf.mul(tf.batchNorm(input, stats.mean, stats.variance, off, sc, 1e-3), tensorOf(w)));
    // Training mode as tfjs-layers runs it: statistics from the batch (their gradients flow back into x).
    const moments = (input: tf.Tensor) => tf.moments(input, shape.slice(0, -1).map((_, i) => i));
    const grads = fromMoments
      ? tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => bn(a, moments(a), b, d))([xs, s, o])
      : tf.grads((a: tf.Tensor, b: tf.Tensor, c2: tf.Tensor, d: tf.Tensor, e: tf.Tensor) => bn(a, { mean: b, variance: c2 }, d, e))([xs, m, v, s, o]);
    return tf.concat(grads.map((g) => tf.reshape(g, [-1])));
  };
}

describe("FusedBatchNorm's gradient as one kernel", () => {
  for (const [shape, fromMoments] of [
    [[8, 6, 5, 12], true],
    [[40, 8, 8, 16], true],
    [[300, 16], false],
    [[4, 9, 9, 8], false],
  ] as const) {
    it(`[${shape}], statistics ${fromMoments ? 'from tf.moments' : 'as inputs'}: equals the cpu backend, one kernel, no leaks`, async () => {
      const op = gradients([...shape], fromMoments);
      let got: Float32Array = new Float32Array();
      let calls: string[] = [];
      expectNoLeaks(() => {
        calls = kernelsOf(() => {
          const t = tf.tidy(op);
          got = t.dataSync() as Float32Array;
          t.dispose();
        });
      });
      expect(calls).toContain('ShrinkrayBatchNormGrad');
      expect(calls).not.toContain('Rsqrt');
      expectClose(got, await onCpu(op), 1e-4);
    });
  }

  it('channels not a multiple of 4 keep tfjs gradient and still equal the cpu backend', async () => {
    const op = gradients([6, 5, 5, 7], true);
    let calls: string[] = [];
    let got: Float32Array = new Float32Array();
    calls = kernelsOf(() => {
      const t = tf.tidy(op);
      got = t.dataSync() as Float32Array;
      t.dispose();
    });
    expect(calls).not.toContain('ShrinkrayBatchNormGrad');
    expectClose(got, await onCpu(op), 1e-4);
  });
});
