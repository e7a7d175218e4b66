import path from 'node:path';
import { ShapeMismatchError } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openData } from '../index.js';
import { makeFixtures, rejection } from './fixtures.test-helper.js';
import { readImageHeader } from './image-header.js';
import { NpyArray } from './npy-array.js';

let dir = '';
const f = (name: string) => path.join(dir, name);

/** A uint8 .npy written by numpy, as plain numbers. */
async function npyBytes(file: string): Promise<number[]> {
  const a = await NpyArray.openFile(file);
  const out = new Float64Array(a.rows * a.rowElements);
  await a.readRows(Int32Array.from({ length: a.rows }, (_, i) => i), out);
  await a.close();
  return [...out];
}

beforeAll(() => {
  dir = makeFixtures('images');
});

describe('images: ImageFolder layout', () => {
  it('decodes grey PNGs of the model size exactly, classes the sorted folder names, a seeded split', async () => {
    const pixels = await npyBytes(f('exact-pixels.npy'));
    const { train, test } = await openData(`images:${f('exact')}`, { inputShape: [null, 1, 8, 8], seed: 1, testFraction: 1 / 3 });
    expect(train.classNames).toEqual(['class0', 'class1']);
    expect(train.exampleShape).toEqual([8, 8, 1]);
    expect(train.size + test.size).toBe(6);
    expect(test.size).toBe(2);
    // Files sort as class0/000, 002, 004, class1/001, 003, 005: find each example by its pixels.
    for (const ds of [train, test]) {
      const x = await ds.read(Array.from({ length: ds.size }, (_, i) => i));
      for (let k = 0; k < ds.size; k++) {
        const got = [...x.data.subarray(k * 64, (k + 1) * 64)];
        const image = [0, 1, 2, 3, 4, 5].find((i) => pixels.slice(i * 64, (i + 1) * 64).every((p, j) => Math.fround(p / 255) === got[j]));
        expect(image, `${ds.name} example ${k}`).toBeDefined();
        expect(ds.labels[k]).toBe(image! % 2);
      }
    }
    expect(train.notes.join('\n')).not.toContain('resized');
  });

  it('keeps RGB channel order (HWC) and applies mean/std per channel', async () => {
    const pixels = await npyBytes(f('rgb-pixels.npy'));
    const mean = [0.5, 0.25, 0];
    const std = [0.5, 2, 1];
    const { train } = await openData(`images:${f('rgb')}`, { inputShape: [null, 5, 5, 3], mean, std, testFraction: 0 });
    expect(train.exampleShape).toEqual([5, 5, 3]);
    // c0 holds images 0 and 2, c1 images 1 and 3; files sort within class.
    const x = await train.read([0, 1, 2, 3]);
    const order = [0, 2, 1, 3];
    for (let k = 0; k < 4; k++) {
      const img = order[k]!;
      for (let j = 0; j < 75; j++) {
        const c = j % 3;
        expect(x.data[k * 75 + j]).toBeCloseTo((pixels[img * 75 + j]! / 255 - mean[c]!) / std[c]!, 6);
      }
    }
    expect(train.notes.join('\n')).toContain('normalised per channel');
  });

  it('uses train/ and test/ folders, resizes to cover the input and centre-crops, and says so', async () => {
    const { train, test, validation } = await openData(`images:${f('good')}`, { inputShape: [null, 3, 24, 24] });
    expect(validation).toBeUndefined();
    expect([train.size, test.size]).toEqual([12, 6]);
    expect(train.classNames).toEqual(['cat', 'dog', 'emu']);
    expect([...test.labels]).toEqual([0, 0, 1, 1, 2, 2]);
    expect(train.exampleShape).toEqual([24, 24, 3]);
    const x = await test.read([0, 5]);
    expect(x.shape).toEqual([2, 24, 24, 3]);
    expect(x.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(train.notes.join('\n')).toMatch(/12 images resized \(shorter side to cover 24x24, bilinear\) and centre-cropped/);
  });

  it('train/ and val/ without test/: a seeded split of train, val as validation', async () => {
    const { train, test, validation } = await openData(`images:${f('trainval')}`, { inputShape: [null, 6, 6, 1], seed: 2, testFraction: 0.4 });
    expect([train.size, test.size, validation?.size]).toEqual([6, 4, 4]);
    expect([...test.labels].sort()).toEqual([0, 0, 1, 1]);
    expect(validation?.classNames).toEqual(['x', 'y']);
    expect(validation?.name).toBe(`${f('trainval')}/validation`);
  });

  it('grey model input: RGB photos converted to one channel', async () => {
    const { test } = await openData(`images:${f('good')}`, { inputShape: [null, 16, 16, 1] });
    expect(test.exampleShape).toEqual([16, 16, 1]);
    expect((await test.read([1])).data.length).toBe(256);
    expect(test.notes.join('\n')).toContain('6 images converted to grey');
  });

  it('resize sets the shorter side before the centre crop, close to PIL bilinear', async () => {
    const ref = await npyBytes(f('resize-ref.npy'));
    const { train } = await openData(`images:${f('resize')}`, { inputShape: [null, 30, 30, 3], resize: 30, testFraction: 0 });
    const x = await train.read([0]);
    let worst = 0;
    let sum = 0;
    for (let j = 0; j < ref.length; j++) {
      const d = Math.abs(x.data[j]! - ref[j]! / 255);
      worst = Math.max(worst, d);
      sum += d;
    }
    // Both resample 80x60 -> 40x30 and keep columns 5..34; they differ only at the edge.
    expect(sum / ref.length).toBeLessThan(0.01);
    expect(worst).toBeLessThan(0.3);
    expect(x.data[(15 * 30 + 2) * 3]).toBe(1);
    expect(x.data[(15 * 30 + 27) * 3]).toBe(0);
    expect(train.notes).toContain(`${f('resize')}: 2 images resized (shorter side to 30, bilinear)`);
    expect(train.notes).toContain(`${f('resize')}: 2 images centre-cropped to 30x30`);
    expect((await rejection(openData(`images:${f('resize')}`, { inputShape: [null, 30, 30, 3], resize: 20 }))).message).toContain('resized to an integer >= 30');
  });

  it('classes gives the model\'s order; a folder not among them is refused', async () => {
    const { test } = await openData(`images:${f('good')}`, { inputShape: [null, 8, 8, 3], classes: ['emu', 'cat', 'dog', 'yak'] });
    expect(test.numClasses).toBe(4);
    expect([...test.labels]).toEqual([1, 1, 2, 2, 0, 0]);
    const e = await rejection(openData(`images:${f('good')}`, { inputShape: [null, 8, 8, 3], classes: ['cat', 'dog'] }));
    expect(e.kind).toBe('classes-mismatch');
    expect(e.message).toContain('class folder "emu" is not in classes (cat, dog)');
  });

  it('flat model inputs give the image size: 3*s*s is RGB', async () => {
    const { test } = await openData(`images:${f('good')}`, { inputShape: [null, 3 * 10 * 10] });
    expect(test.exampleShape).toEqual([10, 10, 3]);
    const e = await rejection(openData(`images:${f('good')}`, { inputShape: [null, 10] }));
    expect(ShapeMismatchError.isInstance(e)).toBe(true);
  });
});

describe('image headers', () => {
  it('reads PNG and JPEG sizes and channels without decoding', async () => {
    // make_fixtures.py: class c, image i has size sizes[(i + c) % 4], PNG when i is even.
    expect(await readImageHeader(f('good/train/cat/000.png'))).toEqual({ format: 'png', width: 40, height: 30, channels: 3 });
    expect(await readImageHeader(f('good/train/dog/002.png'))).toEqual({ format: 'png', width: 50, height: 36, channels: 3 });
    expect(await readImageHeader(f('good/train/cat/001.jpg'))).toEqual({ format: 'jpeg', width: 30, height: 40, channels: 3 });
    expect(await readImageHeader(f('good/train/emu/002.png'))).toEqual({ format: 'png', width: 40, height: 30, channels: 3 });
    expect(await readImageHeader(f('exact/class0/000.png'))).toEqual({ format: 'png', width: 8, height: 8, channels: 1 });
    await expect(readImageHeader(f('corrupt/b/text.png'))).rejects.toThrow('neither a PNG nor a JPEG');
  });
});

describe('images: bad input', () => {
  it('a corrupt image (not an image at all) is named before anything is decoded', async () => {
    const e = await rejection(openData(`images:${f('corrupt')}`, { inputShape: [null, 8, 8, 3] }));
    expect(e.kind).toBe('corrupt');
    expect(e.location).toEqual({ source: f('corrupt/b/text.png') });
  });

  it('skipCorrupt skips the unreadable and the truncated files and counts them', async () => {
    const { train, test } = await openData(`images:${f('corrupt')}`, { inputShape: [null, 8, 8, 3], skipCorrupt: true, testFraction: 0 });
    expect(train.size + test.size).toBe(6);
    expect(train.notes.join('\n')).toContain(`skipped 2 corrupt images: ${f('corrupt/a/truncated.jpg')}, ${f('corrupt/b/text.png')}`);
    const x = await train.read([0, 1, 2, 3, 4, 5]);
    expect(x.shape).toEqual([6, 8, 8, 3]);
  });

  it('a truncated JPEG whose header reads fine fails when its batch is decoded, naming its path', async () => {
    const { train } = await openData(`images:${f('truncated')}`, { inputShape: [null, 8, 8, 3], testFraction: 0 });
    expect(train.size).toBe(3);
    expect((await train.read([0, 1])).shape).toEqual([2, 8, 8, 3]);
    const e = await rejection(train.read([2]));
    expect(e.kind).toBe('corrupt');
    expect(e.location).toEqual({ source: f('truncated/b/1.jpg') });
    expect(e.message).toContain('use skipCorrupt (--skip-corrupt)');
  });

  it('an empty class folder', async () => {
    const e = await rejection(openData(`images:${f('empty')}`, { inputShape: [null, 4, 4, 1] }));
    expect(e.kind).toBe('empty');
    expect(e.message).toBe(`${f('empty/b')}: empty class folder: no PNG or JPEG files`);
  });

  it('a missing folder', async () => {
    expect((await rejection(openData(`images:${f('nowhere')}`))).kind).toBe('empty');
  });
});
