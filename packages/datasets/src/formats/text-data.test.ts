import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, DataError, UNLABELLED } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { openData } from '../formats.js';
import '../formats-register.js';
import { isTextCsvHeader, type TextDatasetSplits } from './text-data.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/text');
const f = (name: string) => path.join(dir, name);
const classes: string[] = JSON.parse(readFileSync(f('classes.json'), 'utf8'));
const parity: { text: string; teacher: { ids: number[] } }[] = readFileSync(f('parity.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const testRows: { text: string; label: string }[] = readFileSync(f('test.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('text data formats', () => {
  it('jsonl:TRAIN,TEST → int32 token ids of the tokenizer, class names sorted, labels as in the file', async () => {
    const splits = (await openData(`jsonl:${f('train.jsonl')},${f('test.jsonl')}`, { tokenizer: f('teacher') })) as TextDatasetSplits;
    const { test } = splits;
    expect(test.dtype).toBe('int32');
    expect(test.exampleShape).toEqual([32]);
    expect(test.classNames).toEqual(classes);
    expect(test.size).toBe(testRows.length);
    expect(Array.from(test.labels)).toEqual(testRows.map((r) => classes.indexOf(r.label)));
    const x = await test.read(Int32Array.from({ length: parity.length }, (_, i) => i));
    for (let i = 0; i < parity.length; i++) expect(Array.from(x.data.subarray(i * 32, (i + 1) * 32))).toEqual(parity[i]!.teacher.ids);
    expect(splits.texts.test[5]).toBe(testRows[5]!.text);
    expect(test.notes[0]).toMatch(/WordPiece/);
  });

  it('text-csv: reads the same rows as jsonl (csv-parse, header row, extra id column ignored)', async () => {
    const a = await openData(`jsonl:${f('train.jsonl')},${f('test.jsonl')}`, { tokenizer: f('student-tokenizer') });
    const b = await openData(`text-csv:${f('train.csv')},${f('test.csv')}`, { tokenizer: f('student-tokenizer') });
    expect(b.train.size).toBe(a.train.size);
    expect(b.train.labels).toEqual(a.train.labels);
    const idx = Int32Array.from({ length: 50 }, (_, i) => i * 7);
    expect((await b.train.read(idx)).data).toEqual((await a.train.read(idx)).data);
  });

  it('without a TEST file holds out a stratified test split, texts following their rows', async () => {
    const s = (await openData(`jsonl:${f('test.jsonl')}`, { tokenizer: f('teacher'), testFraction: 0.25, seed: 3 })) as TextDatasetSplits;
    expect(s.train.size + s.test.size).toBe(testRows.length);
    expect(Math.abs(s.test.size - testRows.length * 0.25)).toBeLessThan(classes.length);
    const byText = new Map(testRows.map((r) => [r.text, classes.indexOf(r.label)]));
    s.texts.test.forEach((t, i) => {
      expect(s.test.labels[i]).toBe(byText.get(t));
    });
  });

  it('custom columns, an explicit class order, integer labels and unlabelled rows', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'text-data-'));
    writeFileSync(path.join(tmp, 'a.jsonl'), '{"body": "perl module", "y": "b"}\n\n{"body": "python library", "y": "a"}\n{"body": "no label"}\n');
    const s = await openData(`jsonl:${path.join(tmp, 'a.jsonl')},${path.join(tmp, 'a.jsonl')}`, { tokenizer: f('teacher'), textColumn: 'body', labelColumn: 'y', classes: ['b', 'a'] });
    expect(Array.from(s.test.labels)).toEqual([0, 1, UNLABELLED]);
    writeFileSync(path.join(tmp, 'n.csv'), 'text,label\nfoo,2\nbar,0\n');
    const n = await openData(`text-csv:${path.join(tmp, 'n.csv')},${path.join(tmp, 'n.csv')}`, { tokenizer: f('teacher'), maxLength: 6 });
    expect(n.test.classNames).toEqual(['0', '1', '2']);
    expect(Array.from(n.test.labels)).toEqual([2, 0]);
    expect(n.test.exampleShape).toEqual([6]);
  });

  it('bad input: typed errors naming the file, line and column', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'text-data-'));
    writeFileSync(path.join(tmp, 'bad.jsonl'), '{"text": "a", "label": "x"}\n{"text": oops}\n');
    const bad = openData(`jsonl:${path.join(tmp, 'bad.jsonl')}`, { tokenizer: f('teacher') });
    await expect(bad).rejects.toThrow(DataError);
    await expect(bad).rejects.toThrow(/bad\.jsonl.*line 2/);
    writeFileSync(path.join(tmp, 'nocol.csv'), 'id,body,label\n1,a,x\n');
    await expect(openData(`text-csv:${path.join(tmp, 'nocol.csv')}`, { tokenizer: f('teacher') })).rejects.toThrow(/nocol\.csv.*no text column "text"/);
    writeFileSync(path.join(tmp, 'notext.jsonl'), '{"label": "x"}\n');
    await expect(openData(`jsonl:${path.join(tmp, 'notext.jsonl')}`, { tokenizer: f('teacher') })).rejects.toThrow(/line 1.*no text/);
    await expect(openData(`jsonl:${f('test.jsonl')}`, {})).rejects.toThrow(ConfigError);
    await expect(openData(`jsonl:${f('test.jsonl')}`, { tokenizer: f('test.jsonl'), classes: ['x'] })).rejects.toThrow(/test\.jsonl/);
  });

  it('csv: reads texts as text-csv: does (with --text-column, or a text header), numeric CSVs stay numeric', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'text-data-'));
    const rows = [
      ['1', 'perl module for parsing', 'perl'],
      ['2', 'python library, with "quotes"', 'python'],
      ['3', 'a perl script', 'perl'],
      ['4', 'numpy for python', 'python'],
      ['5', 'rust crate', 'rust'],
    ];
    const quote = (c: string) => (/[",]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c);
    writeFileSync(path.join(tmp, 'plain.csv'), ['id,text,label', ...rows.map((r) => r.map(quote).join(','))].join('\n') + '\n');
    writeFileSync(path.join(tmp, 'body.csv'), ['id,body,score,y', ...rows.map((r) => [r[0]!, quote(r[1]!), '0.5', r[2]!].join(','))].join('\n') + '\n');
    writeFileSync(path.join(tmp, 'rows.jsonl'), rows.map((r) => JSON.stringify({ text: r[1], label: r[2] })).join('\n') + '\n');
    const files = (name: string) => `${path.join(tmp, name)},${path.join(tmp, name)}`;
    const viaJsonl = await openData(`jsonl:${files('rows.jsonl')}`, { tokenizer: f('teacher'), maxLength: 8 });
    const viaTextCsv = await openData(`text-csv:${files('plain.csv')}`, { tokenizer: f('teacher'), maxLength: 8 });
    const byHeader = (await openData(`csv:${files('plain.csv')}`, { tokenizer: f('teacher'), maxLength: 8 })) as TextDatasetSplits;
    const byColumn = await openData(`csv:${files('body.csv')}`, { tokenizer: f('teacher'), maxLength: 8, textColumn: 'body', labelColumn: 'y' });
    const all = Int32Array.from({ length: rows.length }, (_, i) => i);
    for (const s of [viaTextCsv, byHeader, byColumn]) {
      expect(s.test.dtype).toBe('int32');
      expect(s.test.classNames).toEqual(['perl', 'python', 'rust']);
      expect(Array.from(s.test.labels)).toEqual([0, 1, 0, 1, 2]);
      expect((await s.test.read(all)).data).toEqual((await viaJsonl.test.read(all)).data);
    }
    expect(byHeader.texts.test[1]).toBe('python library, with "quotes"');
    // Without a text column the same body.csv is numeric data, and its text cells are errors.
    await expect(openData(`csv:${path.join(tmp, 'body.csv')}`, { labelColumn: 'y' })).rejects.toThrow(/body\.csv, line 2, column body: "perl module for parsing" is not a number/);
    writeFileSync(path.join(tmp, 'num.csv'), 'a,b,label\n1,2,0\n3,4,1\n');
    const numeric = await openData(`csv:${files('num.csv')}`);
    expect(numeric.test.dtype).toBe('float32');
    expect(Array.from((await numeric.test.read(Int32Array.from([0, 1]))).data)).toEqual([1, 2, 3, 4]);
  });

  it('isTextCsvHeader: the hook the numeric csv format uses', () => {
    expect(isTextCsvHeader(['id', 'text', 'label'])).toBe(true);
    expect(isTextCsvHeader(['x1', 'x2', 'label'])).toBe(false);
    expect(isTextCsvHeader(['body', 'x2', 'label'], { textColumn: 'body' })).toBe(true);
  });
});
