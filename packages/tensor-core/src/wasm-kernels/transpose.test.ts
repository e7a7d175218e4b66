import { beforeAll, describe, expect, it } from 'vitest';
import { patched, randomData, tensorOf, tf, useWasm, withStockKernels } from './kit.test.shared.js';
import { asBatchedTranspose } from './transpose.js';

beforeAll(useWasm);

describe('asBatchedTranspose', () => {
  it('recognises batched 2-D permutations after dropping size-1 axes and merging adjacent axes', () => {
    expect(asBatchedTranspose([5, 7], [1, 0])).toEqual({ batch: 1, rows: 5, cols: 7 });
    expect(asBatchedTranspose([3, 5, 7], [0, 2, 1])).toEqual({ batch: 3, rows: 5, cols: 7 });
    expect(asBatchedTranspose([2, 3, 4, 5], [0, 2, 3, 1])).toEqual({ batch: 2, rows: 3, cols: 20 });
    expect(asBatchedTranspose([2, 3, 4, 5], [0, 3, 1, 2])).toEqual({ batch: 2, rows: 12, cols: 5 });
    expect(asBatchedTranspose([2, 3, 4], [2, 0, 1])).toEqual({ batch: 1, rows: 6, cols: 4 });
    expect(asBatchedTranspose([1, 5, 7], [0, 2, 1])).toEqual({ batch: 1, rows: 5, cols: 7 });
    expect(asBatchedTranspose([2, 3, 4], [2, 1, 0])).toBeUndefined();
    expect(asBatchedTranspose([2, 3, 4], [0, 1, 2])).toBeUndefined();
    expect(asBatchedTranspose([1, 5], [1, 0])).toBeUndefined();
  });
});

describe('Transpose (patched)', () => {
  const cases: { shape: number[]; perm: number[] }[] = [
    { shape: [37, 53], perm: [1, 0] },
    { shape: [512, 64], perm: [1, 0] },
    { shape: [3, 33, 65], perm: [0, 2, 1] },
    { shape: [4, 5, 6, 7], perm: [0, 2, 3, 1] },
    { shape: [4, 5, 6, 7], perm: [0, 3, 1, 2] },
    { shape: [4, 5, 6, 7], perm: [2, 3, 0, 1] },
    { shape: [4, 5, 6, 7], perm: [3, 2, 1, 0] },
    { shape: [1, 40, 1, 30], perm: [3, 1, 2, 0] },
    { shape: [6, 7, 8], perm: [1, 0, 2] },
  ];
  for (const c of cases) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      it(`${JSON.stringify(c.shape)} perm ${JSON.stringify(c.perm)} ${dtype}: equals the stock kernel exactly, no leaks`, () => {
        const d = randomData(c.shape, 81, true);
        const op = () => tf.transpose(tf.cast(tensorOf(d), dtype), c.perm);
        const got = patched(op);
        expect(tf.tidy(() => op().shape)).toEqual(c.perm.map((a) => c.shape[a]));
        expect(Array.from(got)).toEqual(Array.from(withStockKernels(op)));
      });
    }
  }

  it('hand-computed 2x3 transpose', () => {
    expect(Array.from(patched(() => tf.transpose(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]))))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});
