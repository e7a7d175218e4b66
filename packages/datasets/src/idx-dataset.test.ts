import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { classCounts } from './dataset.js';
import { DatasetFormatError } from './errors/dataset-format-error.js';
import { loadIdxDatasets, loadIdxPair } from './idx-dataset.js';
import { materialise, materialiseSplits } from './materialise.test.util.js';

const dir = mkdtempSync(join(tmpdir(), 'shrinkray-idxds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a hand-built IDX file: `00 00 type ndims`, big-endian dims, raw payload bytes. */
function write(name: string, type: number, shape: number[], payload: number[], gzip = false): string {
  const header = [0, 0, type, shape.length, ...shape.flatMap((d) => [(d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255])];
  const bytes = Uint8Array.from([...header, ...payload]);
  const path = join(dir, name);
  writeFileSync(path, gzip ? gzipSync(bytes) : bytes);
  return path;
}

describe('loadIdxPair', () => {
  it('turns uint8 [N,H,W] images into float32 [N,H,W,1] / 255 with int32 labels', async () => {
    const images = write('img', 0x08, [3, 2, 2], [0, 51, 102, 255, 1, 2, 3, 4, 255, 255, 0, 0], true);
    const labels = write('lab', 0x08, [3], [2, 0, 1]);
    const ds = await materialise(await loadIdxPair(images, labels));
    expect(ds.name).toBe(images);
    expect(ds.x.shape).toEqual([3, 2, 2, 1]);
    expect(ds.x.data[0]).toBe(0);
    expect(ds.x.data[1]).toBe(Math.fround(0.2)); // 51 / 255
    expect(ds.x.data[2]).toBe(Math.fround(0.4)); // 102 / 255
    expect(ds.x.data[3]).toBe(1);
    expect(ds.x.data[4]).toBe(Math.fround(1 / 255));
    expect([...ds.y]).toEqual([2, 0, 1]);
    expect(ds.y).toBeInstanceOf(Int32Array);
    expect(ds.numClasses).toBe(3);
    const named = await loadIdxPair(images, labels, { classNames: ['a', 'b', 'c', 'd'], name: 'n' });
    expect(named.numClasses).toBe(4);
    expect([...classCounts(named)]).toEqual([1, 1, 1, 0]);
  });

  it('rejects mismatched counts, non-3-D or non-uint8 images, float labels, labels ≥ numClasses', async () => {
    const images = write('img2', 0x08, [2, 1, 1], [7, 8]);
    const threeLabels = write('lab3', 0x08, [3], [0, 1, 1]);
    await expect(loadIdxPair(images, threeLabels)).rejects.toThrow(`${threeLabels}: expected 2 labels, one per image in ${images}, found 3 labels`);
    const flat = write('flat', 0x08, [2, 1], [7, 8]);
    const twoLabels = write('lab2', 0x08, [2], [0, 1]);
    await expect(loadIdxPair(flat, twoLabels)).rejects.toThrow(`${flat}: expected images as 3-D uint8 IDX`);
    const floats = write('f32img', 0x0d, [1, 1, 1], [0x3f, 0x80, 0, 0]);
    await expect(loadIdxPair(floats, write('lab1', 0x08, [1], [0]))).rejects.toThrow('found float32 [1,1,1]');
    const floatLabels = write('flab', 0x0d, [2], [0, 0, 0, 0, 0x3f, 0x80, 0, 0]);
    const error = await loadIdxPair(images, floatLabels).catch((e: unknown) => e);
    expect(DatasetFormatError.isInstance(error)).toBe(true);
    expect((error as DatasetFormatError).file).toBe(floatLabels);
    await expect(loadIdxPair(images, twoLabels, { numClasses: 1 })).rejects.toThrow(`${twoLabels}: expected labels in [0, 1), found label 1`);
  });
});

describe('loadIdxDatasets', () => {
  it('loads both splits with one numClasses for both', async () => {
    const ds = await materialiseSplits(await loadIdxDatasets(
      {
        trainImages: write('tri', 0x08, [2, 1, 2], [10, 20, 30, 40]),
        trainLabels: write('trl', 0x08, [2], [0, 2]),
        testImages: write('tei', 0x08, [1, 1, 2], [50, 60], true),
        testLabels: write('tel', 0x08, [1], [4], true),
      },
      { name: 'tiny' },
    ));
    expect(ds.train.numClasses).toBe(5);
    expect(ds.test.numClasses).toBe(5);
    expect(ds.train.name).toBe('tiny/train');
    expect(ds.test.x.shape).toEqual([1, 1, 2, 1]);
    expect([...ds.test.x.data]).toEqual([50 / 255, 60 / 255].map(Math.fround));
    expect([...ds.test.y]).toEqual([4]);
  });

  it('rejects splits with different image sizes', async () => {
    const testImages = write('tei3', 0x08, [1, 2, 1], [50, 60]);
    await expect(
      loadIdxDatasets({
        trainImages: write('tri3', 0x08, [1, 1, 2], [10, 20]),
        trainLabels: write('trl3', 0x08, [1], [0]),
        testImages,
        testLabels: write('tel3', 0x08, [1], [0]),
      }),
    ).rejects.toThrow(`${testImages}: expected 1x2 images like`);
  });
});
