import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import './tile-gradient.js';

beforeAll(async () => {
  await initBackend();
});

describe('Tile gradient', () => {
  it('equals the sum of the tiled copies of dy, computed with loops (ranks 1-4)', () => {
    for (const [shape, reps] of [
      [[3], [4]],
      [[2, 3], [3, 1]],
      [[1, 1, 4], [5, 6, 1]],
      [[2, 1, 3, 2], [2, 3, 1, 2]],
    ] as const) {
      const x = tf.ones([...shape]);
      const outShape = shape.map((s, i) => s * reps[i]!);
      const size = outShape.reduce((a, b) => a * b, 1);
      const dyValues = Float32Array.from({ length: size }, (_, i) => Math.sin(i + 1));
      const dy = tf.tensor(dyValues, outShape);
      const grad = tf.grad((t: tf.Tensor) => tf.tile(t, [...reps]))(x, dy).dataSync();
      const expected = new Float32Array(x.size);
      const strides = (s: readonly number[]) => s.map((_, i) => s.slice(i + 1).reduce((a, b) => a * b, 1));
      const os = strides(outShape);
      const xs = strides(shape);
      for (let flat = 0; flat < size; flat++) {
        let target = 0;
        for (let a = 0; a < shape.length; a++) target += (Math.floor(flat / os[a]!) % outShape[a]! % shape[a]!) * xs[a]!;
        expected[target]! += dyValues[flat]!;
      }
      for (let i = 0; i < expected.length; i++) expect(grad[i], `${shape}/${reps}`).toBeCloseTo(expected[i]!, 4);
    }
  });
});
