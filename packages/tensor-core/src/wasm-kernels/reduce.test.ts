import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, patched, randomData, tensorOf, tf, useWasm, withStockKernels } from './kit.test.shared.js';

beforeAll(useWasm);

/** Float64 reference sum over `axes` of row-major data. */
function referenceSum(d: { shape: number[]; values: Float32Array }, axes: number[]): Float64Array {
  const rank = d.shape.length;
  const kept = d.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const outSize = kept.reduce((a, i) => a * d.shape[i]!, 1);
  const out = new Float64Array(outSize);
  const index = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < d.values.length; flat++) {
    let o = 0;
    for (const i of kept) o = o * d.shape[i]! + index[i]!;
    out[o]! += d.values[flat]!;
    for (let i = rank - 1; i >= 0; i--) {
      if (++index[i]! < d.shape[i]!) break;
      index[i] = 0;
    }
  }
  return out;
}

describe('Sum and Mean (patched for leading axes)', () => {
  const cases: { shape: number[]; axis: number | number[]; keepDims?: boolean }[] = [
    // Kept width a multiple of 4: SIMD column sums, over several 256-row blocks (the last one partial).
    { shape: [40, 9, 8, 16], axis: [0, 1, 2], keepDims: true },
    { shape: [100, 8, 8, 12], axis: [0, 1, 2] },
    { shape: [300, 4], axis: 0 },
    { shape: [16, 7, 7, 5], axis: [0, 1, 2] },
    { shape: [16, 7, 7, 5], axis: [0, 1, 2], keepDims: true },
    { shape: [33, 10], axis: 0 },
    { shape: [4, 6, 3], axis: [1, 0] },
    { shape: [4, 6, 3], axis: [-3, -2] },
    { shape: [4, 6, 3], axis: [1, 2] },
    { shape: [4, 6, 3], axis: [0, 2] },
    { shape: [4, 6, 3], axis: [0, 1, 2] },
  ];
  for (const [kind, reduce] of [
    ['sum', tf.sum],
    ['mean', tf.mean],
  ] as const) {
  for (const c of cases) {
    it(`${kind}, shape ${JSON.stringify(c.shape)}, axis ${JSON.stringify(c.axis)}${c.keepDims ? ', keepDims' : ''}: equals float64 reference and stock, no leaks`, () => {
      const d = randomData(c.shape, 71);
      const op = () => reduce(tensorOf(d), c.axis, c.keepDims ?? false);
      const got = patched(op);
      const rank = c.shape.length;
      const axes = (Array.isArray(c.axis) ? c.axis : [c.axis]).map((a) => (a < 0 ? a + rank : a));
      const count = kind === 'mean' ? axes.reduce((n, a) => n * c.shape[a]!, 1) : 1;
      expectClose(got, referenceSum(d, axes).map((v) => v / count), 1e-5);
      expectClose(got, withStockKernels(op));
      const shape = tf.tidy(() => op().shape);
      const expected = c.keepDims ? c.shape.map((s, i) => (axes.includes(i) ? 1 : s)) : c.shape.filter((_, i) => !axes.includes(i));
      expect(shape).toEqual(expected);
    });
  }
  }

  it('int32 input stays on the stock kernel and is exact', () => {
    const op = () => tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 0);
    expect(Array.from(patched(op))).toEqual([9, 12]);
  });
});
