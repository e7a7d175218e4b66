import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openData } from '../index.js';
import { makeFixtures, readF64, rejection } from './fixtures.test-helper.js';
import { halfToFloat } from './npy-decode.js';
import { NpyExampleSource } from './array-source.js';
import { NpyArray } from './npy-array.js';
import { openNpz } from './npz.js';

let dir = '';
const f = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = makeFixtures('npy');
});

interface Case {
  name: string;
  dtype: string;
  fortran: boolean;
  shape: number[];
}

async function decoded(file: string, maxInMemoryBytes?: number): Promise<{ array: NpyArray; values: Float64Array }> {
  const array = await NpyArray.openFile(file, maxInMemoryBytes === undefined ? {} : { maxInMemoryBytes });
  const values = new Float64Array(array.rows * array.rowElements);
  await array.readRows(
    Int32Array.from({ length: array.rows }, (_, i) => i),
    values,
    array.header.dtype === 'uint8' ? 255 : 1,
  );
  return { array, values };
}

describe('npy: every dtype, byte order, memory order and version numpy writes', () => {
  it('decodes each case to numpy\'s own float64 values', async () => {
    const cases = JSON.parse(readFileSync(f('cases.json'), 'utf8')) as Case[];
    expect(cases.length).toBe(9 * 2 + 6 * 2 + 6);
    for (const c of cases) {
      const { array, values } = await decoded(f(`${c.name}.npy`));
      expect(array.header.dtype, c.name).toBe(c.dtype);
      expect(array.header.fortranOrder, c.name).toBe(c.fortran);
      expect(array.header.shape, c.name).toEqual(c.shape);
      expect(values, c.name).toEqual(readF64(f(`${c.name}.expect.f64`)));
      await array.close();
    }
  });

  it('reads versions 1.0, 2.0 and 3.0 headers', async () => {
    for (const v of [1, 2, 3]) {
      const { array } = await decoded(f(`version${v}-C.npy`));
      expect(array.header.version[0]).toBe(v);
    }
  });

  it('decodes float16 special values', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });

  it('reads a large C-order array by row ranges from the file, in any order', async () => {
    const expected = readF64(f('big-x.expect.f64'));
    const array = await NpyArray.openFile(f('big-x.npy'), { maxInMemoryBytes: 1000 });
    expect(array.inMemory).toBe(false);
    const rows = Int32Array.from([299, 5, 6, 7, 0, 150, 6]);
    const out = new Float32Array(rows.length * 35);
    await array.readRows(rows, out, 255);
    for (const [k, r] of rows.entries()) expect([...out.subarray(k * 35, (k + 1) * 35)]).toEqual([...expected.subarray(r * 35, (r + 1) * 35)].map(Math.fround));
    await array.close();
  });
});

describe('npy: openData', () => {
  it('opens X,Y pairs as datasets: uint8 scaled, [N,H,W] given a channel axis, a seeded stratified split', async () => {
    const spec = `npy:${f('big-x.npy')},${f('big-y.npy')}`;
    const { train, test } = await openData(spec, { seed: 3 });
    expect(train.size + test.size).toBe(300);
    expect(test.size).toBe(60);
    expect(train.exampleShape).toEqual([7, 5, 1]);
    expect(train.numClasses).toBe(4);
    const expected = readF64(f('big-x.expect.f64'));
    const first = (await test.read([0])).data;
    // The held-out split is a view: find which source row it is through its label and values.
    const again = await openData(spec, { seed: 3 });
    expect((await again.test.read([0])).data).toEqual(first);
    const row = [...Array(300).keys()].find((r) => expected.subarray(r * 35, r * 35 + 35).every((v, j) => Math.fround(v) === first[j]));
    expect(row).toBeDefined();
    expect(test.labels[0]).toBe(row! % 4);
  });

  it('opens four files as train and test; refuses splits of different example shapes', async () => {
    // x10 is [10, 4] and big-x [300, 7, 5].
    const e = await rejection(openData(`npy:${f('x10.npy')},${f('y10.npy')},${f('big-x.npy')},${f('big-y.npy')}`));
    expect(DataError.isInstance(e) && e.kind).toBe('unsupported');
    const ok = await openData(`npy:${f('x10.npy')},${f('y10.npy')},${f('x10.npy')},${f('y10.npy')}`);
    expect(ok.train.size).toBe(10);
    expect(ok.test.exampleShape).toEqual([4]);
    expect([...(await ok.test.read([2])).data]).toEqual([8, 9, 10, 11]);
  });

  it('applies mean/std after scaling', async () => {
    const { train } = await openData(`npy:${f('x10.npy')},${f('y10.npy')},${f('x10.npy')},${f('y10.npy')}`, { mean: [1, 2, 3, 4], std: [2] });
    expect([...(await train.read([1])).data]).toEqual([(4 - 1) / 2, (5 - 2) / 2, (6 - 3) / 2, (7 - 4) / 2]);
  });
});

describe('npy: bad input', () => {
  const open = (x: string, y = 'y10.npy') => openData(`npy:${f(x)},${f(y)},${f(x)},${f(y)}`);

  it('refuses pickled object arrays without unpickling them', async () => {
    const e = await rejection(open('object.npy'));
    expect(DataError.isInstance(e) && e.kind).toBe('unsupported');
    expect(e.message).toContain('object.npy: dtype object: pickled Python objects are refused');
  });

  it('refuses structured and complex dtypes, and files that are not .npy', async () => {
    expect((await rejection(open('structured.npy'))).message).toContain('structured dtypes');
    expect((await rejection(open('complex.npy'))).message).toContain('dtype <c8');
    const e = await rejection(open('notnpy.npy'));
    expect(e.kind).toBe('corrupt');
    expect(e.message).toContain('notnpy.npy: not a .npy file');
  });

  it('names a truncated file and how many bytes it lacks', async () => {
    const e = await rejection(open('truncated.npy'));
    expect(e.kind).toBe('corrupt');
    expect(e.message).toMatch(/truncated\.npy: truncated \.npy: shape \[10, 4\] float32 needs 288 bytes, the file has 278/);
  });

  it('names the row and column of NaN and Inf', async () => {
    const nan = await rejection(open('nan.npy'));
    expect(nan.kind).toBe('non-finite');
    expect(nan.location).toEqual({ source: f('nan.npy'), row: 6, column: 2 });
    const inf = await rejection(open('inf.npy'));
    expect(inf.message).toBe(`${f('inf.npy')}, row 3, column 1: feature is Infinity, expected a finite number`);
  });

  it('names NaN when the batch holding it is read, for arrays read from the file', async () => {
    const array = await NpyArray.openFile(f('nan.npy'), { maxInMemoryBytes: 8 });
    expect(array.inMemory).toBe(false);
    const source = new NpyExampleSource('nan', array, null);
    expect((await source.read(Int32Array.from([0, 5]))).shape).toEqual([2, 4]);
    const e = await rejection(source.read(Int32Array.from([2, 6])));
    expect(e.location).toEqual({ source: f('nan.npy'), row: 6, column: 2 });
    await source.close();
  });

  it('refuses x and y of different lengths, labels that are not integers or are negative', async () => {
    const len = await rejection(open('x10.npy', 'y9.npy'));
    expect(len.kind).toBe('length-mismatch');
    expect(len.message).toContain(`x has 10 rows but ${f('y9.npy')} has 9 labels`);
    const frac = await rejection(open('x10.npy', 'yfrac.npy'));
    expect(frac.kind).toBe('label-not-integer');
    expect(frac.location).toEqual({ source: f('yfrac.npy'), row: 2 });
    const neg = await rejection(open('x10.npy', 'yneg.npy'));
    expect(neg.kind).toBe('label-out-of-range');
    expect(neg.location).toEqual({ source: f('yneg.npy'), row: 4 });
  });

  it('refuses labels beyond the classes given', async () => {
    const e = await rejection(openData(`npy:${f('x10.npy')},${f('y10.npy')},${f('x10.npy')},${f('y10.npy')}`, { classes: ['a', 'b'] }));
    expect(e.kind).toBe('label-out-of-range');
    expect(e.message).toContain('label 2 is outside [0, 2)');
  });
});

describe('npz', () => {
  it('reads np.savez (stored) and np.savez_compressed (DEFLATE) archives with Keras keys', async () => {
    const xtr = readF64(f('npz-xtr.expect.f64'));
    const xte = readF64(f('npz-xte.expect.f64'));
    const xva = readF64(f('npz-xva.expect.f64'));
    for (const file of ['stored.npz', 'compressed.npz', 'zip64.npz']) {
      const splits = await openData(`npz:${f(file)}`);
      expect(splits.train.size).toBe(40);
      expect(splits.test.size).toBe(15);
      expect(splits.train.exampleShape).toEqual([6, 6, 1]);
      expect(splits.train.numClasses).toBe(5);
      expect([...splits.test.labels]).toEqual(Array.from({ length: 15 }, (_, i) => i % 5));
      expect([...(await splits.train.read([39])).data]).toEqual([...xtr.subarray(39 * 36, 40 * 36)].map(Math.fround));
      expect([...(await splits.test.read([3])).data]).toEqual([...xte.subarray(3 * 36, 4 * 36)].map(Math.fround));
      if (file === 'stored.npz') {
        // The same archive with its stored entries read from the file by offset.
        const lazy = await openNpz(f(file), {}, { maxInMemoryBytes: 100 });
        expect(lazy.train.inMemory).toBe(false);
        expect([...(await lazy.train.read([39, 0])).data]).toEqual([...xtr.subarray(39 * 36, 40 * 36), ...xtr.subarray(0, 36)].map(Math.fround));
        expect(lazy.test.labels).toEqual(splits.test.labels);
      }
      if (file === 'compressed.npz') {
        expect(splits.validation?.size).toBe(8);
        expect([...(await splits.validation!.read([7])).data]).toEqual([...xva.subarray(7 * 36, 8 * 36)].map(Math.fround));
      } else {
        expect(splits.validation).toBeUndefined();
      }
    }
  });

  it('lists the keys an archive has when the expected ones are missing', async () => {
    const e = await rejection(openData(`npz:${f('otherkeys.npz')}`));
    expect(e.kind).toBe('missing-key');
    expect(e.message).toBe(`${f('otherkeys.npz')}: no x_train, y_train in the archive; it has images, labels (expected x_train, y_train, x_test, y_test and optionally x_val, y_val)`);
  });

  it('refuses a length mismatch, a truncated archive and a damaged entry', async () => {
    const len = await rejection(openData(`npz:${f('mismatch.npz')}`));
    expect(len.kind).toBe('length-mismatch');
    expect(len.message).toContain('entry x_train');
    expect(len.message).toContain('x has 40 rows but');
    const cut = await rejection(openData(`npz:${f('truncated.npz')}`));
    expect(cut.kind).toBe('corrupt');
    expect(cut.message).toContain('truncated.npz');
    const bad = await rejection(openData(`npz:${f('damaged.npz')}`));
    expect(bad.kind).toBe('corrupt');
    expect(bad.location).toEqual({ source: f('damaged.npz'), entry: 'x_train.npy' });
  });
});

describe('npy/npz token ids: rank-2 int64/int32 arrays are read as int32 ids', () => {
  const ids = () => readF64(f('ids-train.expect.f64'));

  it('an int64 [N, L] array (and a big-endian int32 one) become Dataset<int32> rows equal to numpy\'s', async () => {
    const splits = await openData(`npy:${f('ids-train.npy')},${f('ids-ytrain.npy')},${f('ids-test.npy')},${f('ids-ytest.npy')}`);
    for (const [split, rows] of [[splits.train, 30], [splits.test, 10]] as const) {
      expect([split.dtype, split.size, split.exampleShape]).toEqual(['int32', rows, [12]]);
      const x = await split.read(Int32Array.from({ length: rows }, (_, i) => i));
      expect(x.dtype).toBe('int32');
      expect(Array.from(x.data)).toEqual(Array.from(ids().subarray(0, rows * 12)));
    }
    // Row 5 holds the largest id an int32 can: it survives.
    const row5 = await splits.train.read(Int32Array.from([5]));
    expect(Array.from(row5.data)).toEqual(new Array(12).fill(2 ** 31 - 1));
    const npz = await openData(`npz:${f('ids.npz')}`);
    expect(npz.train.dtype).toBe('int32');
    expect(Array.from((await npz.train.read(Int32Array.from([0, 29]))).data)).toEqual([...ids().subarray(0, 12), ...ids().subarray(29 * 12, 30 * 12)]);
  });

  it('ids outside int32, negative ids, normalisation options and mixed splits are typed errors naming file, row and column', async () => {
    const big = await rejection(openData(`npy:${f('ids-big.npy')},${f('ids-ytrain.npy')},${f('ids-test.npy')},${f('ids-ytest.npy')}`));
    expect(big).toBeInstanceOf(DataError);
    expect(big.location).toMatchObject({ source: f('ids-big.npy'), row: 4, column: 7 });
    expect(big.message).toMatch(/token id 1099511627776/);
    const neg = await rejection(openData(`npy:${f('ids-neg.npy')},${f('ids-ytrain.npy')}`));
    expect(neg.location).toMatchObject({ row: 9, column: 2 });
    const normalised = await rejection(openData(`npy:${f('ids-train.npy')},${f('ids-ytrain.npy')}`, { mean: [0.5], std: [0.2] }));
    expect(normalised.message).toMatch(/no mean\/std/);
    const mixed = await rejection(openData(`npy:${f('ids-train.npy')},${f('ids-ytrain.npy')},${f('ids-float.npy')},${f('ids-ytest.npy')}`));
    expect(mixed).toBeInstanceOf(DataError);
    expect(mixed.message).toMatch(/float32 array in a split whose training x is token ids/);
  });
});

