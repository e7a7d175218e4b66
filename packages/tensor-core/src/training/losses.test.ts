import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's ES module entry registers no gradients; tfjs-layers registers them all (as the
// package index does by re-exporting it). Training always has tfjs-layers loaded.
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { ConfigError } from '../errors/config-error.js';
import { accuracyCounts, sparseCrossEntropy } from './losses.js';
import { createOptimizer } from './optimizer.js';

beforeAll(async () => {
  await initBackend();
});

describe('sparseCrossEntropy', () => {
  it('averages −log softmax over the labelled rows only', () => {
    // Row 0 [1,2,3] label 2: 0.4076060 (lse = 3.4076060). Row 1 [0,0,0] label 1: ln 3 = 1.0986123.
    // Row 2 is unlabelled (-1) and ignored: mean = (0.4076060 + 1.0986123) / 2 = 0.7531091.
    const logits = tf.tensor2d([[1, 2, 3], [0, 0, 0], [50, -50, 0]]);
    const labels = tf.tensor1d([2, 1, -1], 'int32');
    const loss = sparseCrossEntropy(logits, labels);
    expect(loss.rank).toBe(0);
    expect(loss.dataSync()[0]).toBeCloseTo(0.75310913, 5);
    tf.dispose([logits, labels, loss]);
  });

  it('is 0 (not NaN) for a batch with no labels, and finite for logits of ±1e4', () => {
    const none = sparseCrossEntropy(tf.tensor2d([[1, 2]]), tf.tensor1d([-1], 'int32'));
    expect(Math.abs(none.dataSync()[0]!)).toBe(0);
    // Confidently wrong by 2e4 nats.
    const extreme = sparseCrossEntropy(tf.tensor2d([[1e4, -1e4]]), tf.tensor1d([1], 'int32'));
    expect(extreme.dataSync()[0]).toBeCloseTo(20000, 0);
    tf.dispose([none, extreme]);
  });

  it('has the softmax-minus-one-hot gradient on labelled rows and zero on unlabelled rows', () => {
    // d/dz of mean CE over 1 labelled row = softmax(z) − onehot(y): softmax([0, ln 3]) = [.25, .75], y = 0 -> [−.75, .75]
    const labels = tf.tensor1d([0, -1], 'int32');
    const grad = tf.grad((z: tf.Tensor) => sparseCrossEntropy(z as tf.Tensor2D, labels))(tf.tensor2d([[0, Math.log(3)], [5, 1]]));
    const g = Array.from(grad.dataSync());
    expect(g[0]).toBeCloseTo(-0.75, 6);
    expect(g[1]).toBeCloseTo(0.75, 6);
    expect(Math.abs(g[2]!)).toBe(0);
    expect(Math.abs(g[3]!)).toBe(0);
    tf.dispose([labels, grad]);
  });

  it('accuracyCounts counts correct and labelled rows', () => {
    const counts = accuracyCounts(tf.tensor2d([[1, 2], [3, 0], [0, 9], [5, 4]]), tf.tensor1d([1, 1, -1, 0], 'int32'));
    // row 0 right, row 1 wrong, row 2 unlabelled, row 3 right -> [2 correct, 3 labelled]
    expect(Array.from(counts.dataSync())).toEqual([2, 3]);
    counts.dispose();
  });
});

describe('createOptimizer', () => {
  it('builds each named optimizer with its learning rate', () => {
    const expected = { adam: 'Adam', sgd: 'SGD', momentum: 'Momentum', rmsprop: 'RMSProp' } as const;
    for (const [name, className] of Object.entries(expected)) {
      const opt = createOptimizer({ name: name as keyof typeof expected, learningRate: 0.125 });
      expect(opt.getClassName()).toBe(className);
      expect((opt.getConfig() as { learningRate: number }).learningRate).toBe(0.125);
      opt.dispose();
    }
    expect((createOptimizer({ name: 'momentum', learningRate: 1 }).getConfig() as { momentum: number }).momentum).toBe(0.9);
  });

  it('rejects bad learning rates', () => {
    expect(() => createOptimizer({ name: 'adam', learningRate: Number.NaN })).toThrow(ConfigError);
    expect(() => createOptimizer({ name: 'adam', learningRate: -1 })).toThrow(/optimizer.learningRate: must be a positive finite number, got -1/);
  });
});
