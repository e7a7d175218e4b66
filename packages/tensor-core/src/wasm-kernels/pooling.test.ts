import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, onCpu, patched, randomData, tensorOf, tf, useWasm, withStockKernels } from './kit.test.shared.js';

beforeAll(useWasm);

const cases: { name: string; x: number[]; size: number | [number, number]; stride: number | [number, number]; pad: 'same' | 'valid' }[] = [
  { name: '2x2 stride 2 valid', x: [2, 8, 8, 3], size: 2, stride: 2, pad: 'valid' },
  // Channels a multiple of 4: the SIMD pass (odd sizes: rows/columns outside every window).
  { name: '2x2 stride 2 valid, odd size', x: [2, 7, 9, 16], size: 2, stride: 2, pad: 'valid' },
  { name: '2x2 stride 2 valid, 8 channels', x: [3, 8, 6, 8], size: 2, stride: 2, pad: 'valid' },
  { name: '3x3 stride 1 same (overlapping windows)', x: [2, 6, 5, 4], size: 3, stride: 1, pad: 'same' },
  { name: '3x3 stride 2 same', x: [3, 9, 7, 5], size: 3, stride: 2, pad: 'same' },
  { name: '2x3 stride [1,2] valid', x: [1, 6, 9, 2], size: [2, 3], stride: [1, 2], pad: 'valid' },
];

describe('MaxPoolGrad (patched)', () => {
  for (const c of cases) {
    for (const ties of [false, true]) {
      it(`${c.name}${ties ? ', with ties' : ''}: equals the stock wasm kernel and the cpu backend, no leaks`, async () => {
        const x = randomData(c.x, 61, ties);
        const nonNegative = { shape: x.shape, values: x.values.map(Math.abs) };
        const gradOf = (d: typeof x) => () =>
          tf.grad((input: tf.Tensor) => {
            const y = tf.maxPool(input as tf.Tensor4D, c.size, c.stride, c.pad);
            return tf.sum(tf.mul(y, tf.reshape(tf.range(1, y.size + 1), y.shape)));
          })(tensorOf(d));
        const got = patched(gradOf(x));
        expectClose(got, await onCpu(gradOf(x)));
        // The stock kernel is only right when window maxima are > 0 and unique (see the tests below).
        const gotNonNegative = patched(gradOf(nonNegative));
        expectClose(gotNonNegative, await onCpu(gradOf(nonNegative)));
        if (!ties) expectClose(gotNonNegative, withStockKernels(gradOf(nonNegative)));
      });
    }
  }

  it('hand-computed: the gradient goes to the first maximum of each window', () => {
    // One 2x2 window [[1, 3], [3, 2]]: the first 3 (row-major) gets dy = 5.
    const op = () => tf.grad((input: tf.Tensor) => tf.mul(tf.sum(tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid')), 5))(tf.tensor4d([1, 3, 3, 2], [1, 2, 2, 1]));
    expect(Array.from(patched(op))).toEqual([0, 5, 0, 0]);
  });

  it('hand-computed, 4 channels (SIMD): each channel routes to its own first maximum', () => {
    // Channel k of window position i holds windows[k][i]; maxima at positions 1, 0, 3 and 2 (channel 1 ties 0 and 2).
    const windows = [
      [1, 3, 3, 2],
      [7, 1, 7, 0],
      [-5, -4, -3, -2],
      [0, 0, 9, 1],
    ];
    const nhwc = [0, 1, 2, 3].flatMap((i) => windows.map((w) => w[i]!));
    const op = () => tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid'), tf.tensor1d([5, 6, 7, 8]))))(tf.tensor4d(nhwc, [1, 2, 2, 4]));
    const expected = [0, 1, 2, 3].flatMap((i) => [i === 1 ? 5 : 0, i === 0 ? 6 : 0, i === 3 ? 7 : 0, i === 2 ? 8 : 0]);
    expect(Array.from(patched(op))).toEqual(expected);
  });

  it('hand-computed: a window of negative values still routes the gradient to its maximum (the stock kernel misroutes it)', () => {
    const op = () => tf.grad((input: tf.Tensor) => tf.mul(tf.sum(tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid')), 5))(tf.tensor4d([-3, -1, -2, -4], [1, 2, 2, 1]));
    expect(Array.from(patched(op))).toEqual([0, 5, 0, 0]);
    expect(Array.from(withStockKernels(op))).not.toEqual([0, 5, 0, 0]);
  });
});
