import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, onCpu, patched, randomData, tensorOf, tf, useWasm } from './kit.test.shared.js';

beforeAll(useWasm);

const cases: { name: string; x: number[]; f: number[]; stride: number; pad: 'same' | 'valid' }[] = [
  { name: '3x3 stride 1 same', x: [2, 7, 6, 5], f: [3, 3, 5, 1], stride: 1, pad: 'same' },
  { name: '3x3 stride 2 same, even size', x: [2, 8, 8, 4], f: [3, 3, 4, 1], stride: 2, pad: 'same' },
  { name: '3x3 stride 2 valid, multiplier 2', x: [1, 9, 7, 3], f: [3, 3, 3, 2], stride: 2, pad: 'valid' },
  { name: '2x3 stride 1 valid (non-square)', x: [2, 8, 9, 2], f: [2, 3, 2, 1], stride: 1, pad: 'valid' },
];

describe('DepthwiseConv2dNative gradients (added to wasm)', () => {
  for (const c of cases) {
    it(`${c.name}: input and filter gradients equal the cpu backend's, no leaks`, async () => {
      const x = randomData(c.x, 5);
      const f = randomData(c.f, 6);
      const grads = (which: 0 | 1) => () =>
        tf.grads((input: tf.Tensor, filter: tf.Tensor) => {
          const y = tf.depthwiseConv2d(input as tf.Tensor4D, filter as tf.Tensor4D, c.stride, c.pad);
          return tf.sum(tf.mul(y, tf.reshape(tf.range(1, y.size + 1), y.shape)));
        })([tensorOf(x), tensorOf(f)])[which]!;
      for (const which of [0, 1] as const) expectClose(patched(grads(which)), await onCpu(grads(which)));
    });
  }

  it('hand-computed: a 2x2 filter over a 2x2 input, valid, one output', () => {
    // y = Σ x·w; dy = 3 -> dW = 3·x, dX = 3·w
    const x = () => tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const w = () => tf.tensor4d([0.5, -1, 2, 0], [2, 2, 1, 1]);
    const g = (which: 0 | 1) => () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.mul(tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid')), 3))([x(), w()])[which]!;
    expect(Array.from(patched(g(1)))).toEqual([3, 6, 9, 12]);
    expect(Array.from(patched(g(0)))).toEqual([1.5, -3, 6, 0]);
  });
});
