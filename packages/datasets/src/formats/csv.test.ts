import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openData } from '../index.js';
import { rejection } from './fixtures.test-helper.js';

let dir = '';
function csv(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shrinkray-csv-'));
});

describe('csv', () => {
  it('reads numeric features and string labels as sorted class indices keeping their names', async () => {
    const train = csv('train.csv', 'a,b,label\n1,2,dog\n3,4.5,cat\n\n-1e-3,6,emu\n7,8,cat\n');
    const test = csv('test.csv', 'a,b,label\n0.25,0,emu\n');
    const { train: tr, test: te } = await openData(`csv:${train},${test}`);
    expect(tr.classNames).toEqual(['cat', 'dog', 'emu']);
    expect([...tr.labels]).toEqual([1, 0, 2, 0]);
    expect(tr.exampleShape).toEqual([2]);
    expect([...(await tr.read([0, 1, 2, 3])).data]).toEqual([1, 2, 3, 4.5, Math.fround(-1e-3), 6, 7, 8]);
    expect([...te.labels]).toEqual([2]);
  });

  it('keeps integer labels as class indices; the classes option names them or orders string labels', async () => {
    const file = csv('int.csv', 'y,x\n2,1\n0,2\n1,3\n');
    const ints = await openData(`csv:${file},${file}`, { labelColumn: 'y' });
    expect([...ints.train.labels]).toEqual([2, 0, 1]);
    expect(ints.train.classNames).toEqual(['0', '1', '2']);
    expect([...(await ints.train.read([0])).data]).toEqual([1]);
    const named = await openData(`csv:${file},${file}`, { labelColumn: 'y', classes: ['zero', 'one', 'two'] });
    expect(named.test.classNames).toEqual(['zero', 'one', 'two']);
    const strings = csv('str.csv', 'x,label\n1,b\n2,a\n');
    const ordered = await openData(`csv:${strings},${strings}`, { classes: ['b', 'a', 'c'] });
    expect([...ordered.train.labels]).toEqual([0, 1]);
    expect(ordered.train.numClasses).toBe(3);
  });

  it('holds out a seeded stratified test split when there is no TEST file', async () => {
    const rows = ['f,label', ...Array.from({ length: 50 }, (_, i) => `${i},${i < 20 ? 'a' : 'b'}`)];
    const file = csv('split.csv', rows.join('\n'));
    const a = await openData(`csv:${file}`, { seed: 7 });
    const b = await openData(`csv:${file}`, { seed: 7 });
    expect(a.train.size).toBe(40);
    expect(a.test.size).toBe(10);
    expect([...a.test.labels].filter((y) => y === 0).length).toBe(4);
    const seen = [...(await a.test.read(a.test.labels.map((_, i) => i))).data, ...(await a.train.read(a.train.labels.map((_, i) => i))).data];
    expect(seen.sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect((await b.test.read([0, 1, 2])).data).toEqual((await a.test.read([0, 1, 2])).data);
  });

  it('applies mean/std per feature', async () => {
    const file = csv('norm.csv', 'a,b,label\n1,10,0\n3,30,1\n');
    const { train } = await openData(`csv:${file},${file}`, { mean: [2, 20], std: [1, 10] });
    expect([...(await train.read([0, 1])).data]).toEqual([-1, -1, 1, 1]);
  });
});

describe('csv: bad input names file, line and column', () => {
  it('a non-numeric cell', async () => {
    const file = csv('text.csv', 'a,b,label\n1,2,0\n3,four,1\n');
    const e = await rejection(openData(`csv:${file}`));
    expect(e.kind).toBe('non-numeric');
    expect(e.message).toBe(`${file}, line 3, column b: "four" is not a number`);
  });

  it('a missing file is a DataError naming it, not a crash (train or test file)', async () => {
    const missing = path.join(path.dirname(csv('present.csv', 'a,label\n1,0\n')), 'missing.csv');
    expect((await rejection(openData(`csv:${missing}`))).message).toBe(`${missing}: cannot be read (ENOENT)`);
    expect((await rejection(openData(`csv:${csv('present.csv', 'a,label\n1,0\n')},${missing}`))).message).toBe(`${missing}: cannot be read (ENOENT)`);
  });

  it('an empty cell', async () => {
    const file = csv('blank.csv', 'a,b,label\n1,,0\n');
    expect((await rejection(openData(`csv:${file}`))).message).toBe(`${file}, line 2, column b: "" is not a number`);
  });

  it('a ragged row', async () => {
    const file = csv('ragged.csv', 'a,b,label\n1,2,0\n1,2,0\n\n5,1\n');
    const e = await rejection(openData(`csv:${file}`));
    expect(e.kind).toBe('ragged');
    expect(e.message).toBe(`${file}, line 5: expected 3 fields (as in the header), found 2`);
  });

  it('NaN and Inf', async () => {
    const nan = csv('nan.csv', 'a,b,label\n1,2,0\nNaN,2,1\n');
    const e = await rejection(openData(`csv:${nan}`));
    expect(e.kind).toBe('non-finite');
    expect(e.location).toEqual({ source: nan, line: 3, column: 'a' });
    const inf = csv('inf.csv', 'a,b,label\n1,-inf,0\n');
    expect((await rejection(openData(`csv:${inf}`))).message).toBe(`${inf}, line 2, column b: feature is -inf, expected a finite number`);
    const big = csv('big.csv', 'a,b,label\n1,1e999,0\n');
    expect((await rejection(openData(`csv:${big}`))).kind).toBe('non-finite');
  });

  it('a missing label column, listing the columns', async () => {
    const file = csv('nolabel.csv', 'a,b,target\n1,2,0\n');
    const e = await rejection(openData(`csv:${file}`));
    expect(e.kind).toBe('missing-key');
    expect(e.message).toContain('no label column "label" in the header (columns: a, b, target)');
  });

  it('a label that is not an integer, or not one of the classes', async () => {
    const frac = csv('frac.csv', 'a,label\n1,0\n2,1.5\n');
    const e = await rejection(openData(`csv:${frac}`));
    expect(e.kind).toBe('label-not-integer');
    expect(e.location).toMatchObject({ source: frac, line: 3 });
    const other = csv('other.csv', 'a,label\n1,cat\n2,cow\n');
    const o = await rejection(openData(`csv:${other}`, { classes: ['cat', 'dog'] }));
    expect(o.kind).toBe('label-out-of-range');
    expect(o.message).toBe(`${other}, line 3: label "cow" is not one of the classes cat, dog`);
  });

  it('a test file whose header differs, and an empty file', async () => {
    const a = csv('ha.csv', 'a,b,label\n1,2,0\n');
    const b = csv('hb.csv', 'b,a,label\n1,2,0\n');
    expect((await rejection(openData(`csv:${a},${b}`))).message).toContain('the header differs');
    const empty = csv('empty.csv', 'a,b,label\n');
    expect((await rejection(openData(`csv:${empty}`))).kind).toBe('empty');
  });
});
