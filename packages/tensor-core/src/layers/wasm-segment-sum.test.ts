import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import '@tensorflow/tfjs-layers'; // registers tfjs-core's gradients, as training does
import './wasm-segment-sum.js';

beforeAll(async () => {
  await initBackend();
});

describe('UnsortedSegmentSum on the active backend (wasm has it from tensor-core)', () => {
  it('is registered for wasm (which has none of its own)', () => {
    expect(tf.getKernel(tf.UnsortedSegmentSum, 'wasm')).toBeDefined();
  });

  it('sums rows by segment id, dropping ids out of range (hand-computed)', () => {
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const y = tf.unsortedSegmentSum(x, tf.tensor1d([2, 0, 2, 5], 'int32'), 3);
    expect(Array.from(y.dataSync())).toEqual([3, 4, 0, 0, 6, 8]);
  });

  it('gives Gather (embedding lookup) its gradient: counts of each id times the upstream gradient', () => {
    const table = tf.variable(tf.zeros([4, 2]));
    const ids = tf.tensor1d([1, 3, 1, 1], 'int32');
    const grads = tf.variableGrads(() => tf.sum(tf.mul(tf.gather(table, ids), tf.tensor2d([[1, 10], [1, 10], [1, 10], [1, 10]]))) as tf.Scalar);
    expect(Array.from(grads.grads[table.name]!.dataSync())).toEqual([0, 0, 3, 30, 0, 0, 1, 10]);
  });
});
