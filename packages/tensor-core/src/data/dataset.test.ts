import { describe, expect, it } from 'vitest';
import { DataError } from '../errors/data-error.js';
import type { Model } from '../model.js';
import { Tensor } from '../tensor.js';
import { Dataset, stratifiedSplit, UNLABELLED } from './dataset.js';
import { evaluateModel, predictBatched, predictEach } from './predict.js';
import type { ExampleSource } from './source.js';

/** x[i] = [i, 10 i]: each row says which example it is. */
function numbered(n: number): Tensor<'float32'> {
  const data = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    data[2 * i] = i;
    data[2 * i + 1] = 10 * i;
  }
  return new Tensor('float32', [n, 2], data);
}

async function collect(ds: Dataset, options: Parameters<Dataset['batches']>[0]) {
  const rows: number[] = [];
  const labels: number[] = [];
  const sizes: number[] = [];
  for await (const b of ds.batches(options)) {
    sizes.push(b.indices.length);
    for (let i = 0; i < b.indices.length; i++) {
      // Each row carries its own index: [i, 10 i], and `indices` names it.
      expect(b.x.data[2 * i]).toBe(b.indices[i]);
      expect(b.x.data[2 * i + 1]).toBe(10 * b.indices[i]!);
      rows.push(b.x.data[2 * i]!);
      labels.push(b.y[i]!);
    }
  }
  return { rows, labels, sizes };
}

describe('Dataset.fromArrays', () => {
  const y = Int32Array.from({ length: 10 }, (_, i) => i % 3);
  const ds = Dataset.fromArrays(numbered(10), y, { classNames: ['a', 'b', 'c'], name: 'toy' });

  it('carries shape, classes and labels', () => {
    expect(ds.size).toBe(10);
    expect(ds.exampleShape).toEqual([2]);
    expect(ds.numClasses).toBe(3);
    expect(ds.classNames).toEqual(['a', 'b', 'c']);
    expect(ds.labelled).toBe(true);
    expect(ds.inMemory).toBe(true);
  });

  it('batches in order without a seed, the last batch smaller', async () => {
    const { rows, labels, sizes } = await collect(ds, { batchSize: 4 });
    expect(rows).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(labels).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('shuffles by seed: every example once, labels stay with their rows, same seed same order', async () => {
    const a = await collect(ds, { batchSize: 3, seed: 5 });
    const b = await collect(ds, { batchSize: 3, seed: 5 });
    const c = await collect(ds, { batchSize: 3, seed: 6 });
    expect([...a.rows].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(a.labels).toEqual(a.rows.map((r) => r % 3));
    expect(b.rows).toEqual(a.rows);
    expect(c.rows).not.toEqual(a.rows);
  });

  it('subset is a view: rows and labels of the chosen indices, in that order', async () => {
    const sub = ds.subset([7, 2, 2], 'sub');
    expect(sub.labels).toEqual(Int32Array.from([1, 2, 2]));
    const x = await sub.read([0, 1, 2]);
    expect([...x.data]).toEqual([7, 70, 2, 20, 2, 20]);
    const subsub = sub.subset([0]);
    expect([...(await subsub.read([0])).data]).toEqual([7, 70]);
  });

  it('withLabels marks a transfer set unlabelled', () => {
    const transfer = ds.withLabels(new Int32Array(10).fill(UNLABELLED));
    expect(transfer.labelled).toBe(false);
  });

  it('refuses a label out of range, naming the row', () => {
    const bad = Int32Array.from([0, 1, 3]);
    const err = (() => {
      try {
        Dataset.fromArrays(numbered(3), bad, { numClasses: 3, name: 'train.npy' });
      } catch (e) {
        return e;
      }
    })();
    expect(DataError.isInstance(err)).toBe(true);
    expect((err as DataError).kind).toBe('label-out-of-range');
    expect((err as DataError).location).toEqual({ source: 'train.npy', row: 2 });
    expect((err as Error).message).toBe('train.npy, row 2: label 3 is outside [0, 3)');
  });

  it('refuses NaN and Inf, naming row and column', () => {
    const x = numbered(4);
    x.data[5] = Number.POSITIVE_INFINITY;
    expect(() => Dataset.fromArrays(x, new Int32Array(4))).toThrow('data, row 2, column 1: feature is Infinity');
    x.data[5] = Number.NaN;
    expect(() => Dataset.fromArrays(x, new Int32Array(4))).toThrow('row 2, column 1: feature is NaN');
  });

  it('refuses x and y of different lengths', () => {
    expect(() => Dataset.fromArrays(numbered(4), new Int32Array(3), { name: 'd' })).toThrow('d: x has 4 rows but y has 3 labels');
  });

  it('refuses class names that do not match the number of classes', () => {
    expect(() => Dataset.fromArrays(numbered(2), new Int32Array(2), { numClasses: 3, classNames: ['a'] })).toThrow('3 classes but 1 class names');
  });
});

describe('streamed source', () => {
  /** A source that decodes slowly and records what it read, like an image folder. */
  function slowSource(n: number, reads: number[][]): ExampleSource<'float32'> {
    const all = numbered(n);
    return {
      name: 'slow',
      size: n,
      exampleShape: [2],
      dtype: 'float32',
      inMemory: false,
      async read(indices) {
        reads.push([...indices]);
        await new Promise((r) => setTimeout(r, 2));
        const out = new Float32Array(indices.length * 2);
        for (const [i, j] of indices.entries()) out.set(all.data.subarray(2 * j, 2 * j + 2), 2 * i);
        return new Tensor('float32', [indices.length, 2], out);
      },
    };
  }

  it('reads only the batches asked for, one ahead, and trains like the in-memory one', async () => {
    const reads: number[][] = [];
    const labels = Int32Array.from({ length: 9 }, (_, i) => i % 2);
    const streamed = Dataset.fromSource(slowSource(9, reads), labels);
    const inMemory = Dataset.fromArrays(numbered(9), labels);
    const a = await collect(streamed, { batchSize: 4, seed: 3 });
    const b = await collect(inMemory, { batchSize: 4, seed: 3 });
    expect(a).toEqual(b);
    expect(reads.map((r) => r.length)).toEqual([4, 4, 1]);
  });

  it('stops between batches on abort', async () => {
    const controller = new AbortController();
    const ds = Dataset.fromSource(slowSource(9, []), new Int32Array(9));
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const b of ds.batches({ batchSize: 2, signal: controller.signal })) {
          seen.push(b.indices.length);
          controller.abort(new Error('stop'));
        }
      })(),
    ).rejects.toThrow('stop');
    expect(seen).toEqual([2]);
  });
});

describe('stratifiedSplit', () => {
  it('takes the fraction of every class, disjoint and complete', () => {
    const y = Int32Array.from([...Array(10).fill(0), ...Array(20).fill(1), ...Array(4).fill(UNLABELLED)]);
    const ds = Dataset.fromArrays(numbered(34), y, { numClasses: 2 });
    const { first, second } = stratifiedSplit(ds, 0.25, 1);
    const count = (d: Dataset, c: number) => d.labels.filter((v) => v === c).length;
    expect([count(second, 0), count(second, 1), count(second, UNLABELLED)]).toEqual([3, 5, 1]);
    expect(first.size + second.size).toBe(34);
  });
});

describe('predictBatched / evaluateModel', () => {
  /** logits = [x0, -x0]: class 0 when x0 > 0. */
  const model: Model = {
    name: 'sign',
    inputShape: [null, 2],
    numClasses: 2,
    async predict(x) {
      const n = x.shape[0]!;
      const out = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        out[2 * i] = x.data[2 * i]! - 4.5;
        out[2 * i + 1] = -(x.data[2 * i]! - 4.5);
      }
      return new Tensor('float32', [n, 2], out);
    },
    dispose() {},
  };

  it('predicts every row in dataset order, reporting progress per batch', async () => {
    const ds = Dataset.fromArrays(numbered(10), new Int32Array(10));
    const progress: number[] = [];
    const logits = await predictBatched(model, ds, { batchSize: 4, onProgress: (d) => progress.push(d) });
    expect(logits.shape).toEqual([10, 2]);
    expect(Array.from({ length: 10 }, (_, i) => logits.data[2 * i])).toEqual([-4.5, -3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 4.5]);
    expect(progress).toEqual([4, 8, 10]);
    const [a, b] = await predictEach([model, model], ds, { batchSize: 3 });
    expect(a!.data).toEqual(logits.data);
    expect(b!.data).toEqual(logits.data);
  });

  it('scores only labelled rows and refuses a class-count mismatch', async () => {
    // rows 0-4 are class 1 (x0 < 4.5), rows 5-9 class 0; labels wrong on rows 0 and 9; row 5 unlabelled.
    const y = Int32Array.from([0, 1, 1, 1, 1, UNLABELLED, 0, 0, 0, 1]);
    const ds = Dataset.fromArrays(numbered(10), y);
    const ev = await evaluateModel(model, ds);
    expect(ev.samples).toBe(9);
    expect(ev.accuracy).toBeCloseTo(7 / 9, 12);
    const three = Dataset.fromArrays(numbered(3), Int32Array.from([0, 1, 2]), { name: 'three' });
    await expect(evaluateModel(model, three)).rejects.toThrow('three: the data has 3 classes but model sign outputs 2');
  });
});
