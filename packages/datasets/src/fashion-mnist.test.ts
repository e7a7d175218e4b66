import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { classCounts } from './dataset.js';
import { DatasetNotFoundError } from './errors/dataset-not-found-error.js';
import { DEFAULT_FASHION_MNIST_DIR, FASHION_MNIST_CLASSES, loadFashionMnist } from './fashion-mnist.js';
import { materialiseSplits } from './materialise.test.util.js';

const tmp = mkdtempSync(join(tmpdir(), 'shrinkray-fashion-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('loadFashionMnist (file discovery, with stand-in files)', () => {
  it('finds plain and gzipped IDX files by their original names', async () => {
    const dir = join(tmp, 'mixed');
    mkdirSync(dir);
    const images = Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255]);
    const labels = (label: number): Uint8Array => Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 1, label]);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), images);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(labels(9)));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(images));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), labels(3));
    const { train, test } = await materialiseSplits(await loadFashionMnist(dir));
    expect(train.x.shape).toEqual([1, 1, 2, 1]);
    expect([...train.x.data]).toEqual([0, 1]);
    expect([...train.y]).toEqual([9]);
    expect([...test.y]).toEqual([3]);
    expect(test.numClasses).toBe(10);
    expect(test.classNames[9]).toBe('Ankle boot');
    expect(train.name).toBe('fashion-mnist/train');
  });

  it('names the missing directory or file and says how to install the dataset', async () => {
    const missing = join(tmp, 'absent');
    const error = await loadFashionMnist(missing).catch((e: unknown) => e);
    expect(DatasetNotFoundError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      `${missing}: Fashion-MNIST directory not found; install it with \`apt-get install dataset-fashion-mnist\` (Debian) or pass the directory holding the four IDX files (e.g. --data fashion-mnist:DIR)`,
    );
    const partial = join(tmp, 'partial');
    mkdirSync(partial);
    writeFileSync(join(partial, 'train-images-idx3-ubyte.gz'), gzipSync(Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1)));
    await expect(loadFashionMnist(partial)).rejects.toThrow(`${join(partial, 'train-labels-idx1-ubyte')}: Fashion-MNIST file train-labels-idx1-ubyte(.gz) not found`);
  });
});

// Reference values computed independently with Debian's Python (gzip + struct) from the files of
// Debian's dataset-fashion-mnist: header counts, the first ten labels, and the mean byte / 255.
describe('loadFashionMnist (the real dataset)', () => {
  it.skipIf(!existsSync(DEFAULT_FASHION_MNIST_DIR))(
    `loads 60,000 / 10,000 images from ${DEFAULT_FASHION_MNIST_DIR} (skipped when the directory is missing: apt-get install dataset-fashion-mnist)`,
    async () => {
      const { train, test } = await materialiseSplits(await loadFashionMnist());
      expect(train.x.shape).toEqual([60000, 28, 28, 1]);
      expect(test.x.shape).toEqual([10000, 28, 28, 1]);
      expect([...classCounts(train)]).toEqual(Array(10).fill(6000));
      expect([...classCounts(test)]).toEqual(Array(10).fill(1000));
      expect([...train.y.subarray(0, 10)]).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
      expect([...test.y.subarray(0, 10)]).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
      expect(train.classNames).toEqual(FASHION_MNIST_CLASSES);
      const stats = (data: Float32Array): { min: number; max: number; mean: number } => {
        let min = Infinity;
        let max = -Infinity;
        let sum = 0;
        for (let i = 0; i < data.length; i++) {
          const v = data[i]!;
          if (v < min) min = v;
          if (v > max) max = v;
          sum += v;
        }
        return { min, max, mean: sum / data.length };
      };
      const tr = stats(train.x.data);
      const te = stats(test.x.data);
      expect([tr.min, tr.max, te.min, te.max]).toEqual([0, 1, 0, 1]);
      expect(tr.mean).toBeCloseTo(0.2860405969887955, 7);
      expect(te.mean).toBeCloseTo(0.28684928071228494, 7);
    },
  );
});
