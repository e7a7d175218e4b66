import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { EventFileError, FILE_VERSION, TensorBoardWriter } from '../src/index.js';
import { readEvents, scalarsOf } from './read-events.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'shrinkray-tb-'));

describe('TensorBoardWriter', () => {
  it('writes the file version, then one Event per scalar that an independent reader decodes with valid CRCs', () => {
    const dir = tmp();
    let calls = 0;
    const clock = () => 1_700_000_000.25 + 0.5 * calls++;
    const writer = TensorBoardWriter.open(path.join(dir, 'run'), { clock });
    writer.scalar('loss', 2.5, 1);
    writer.scalar('loss', 0.1, 2);
    writer.scalar('accuracy', 0.9375, 2);
    writer.scalars({ 'val/loss': 1 / 3, 'val/accuracy': 0.75 }, 7);
    writer.scalar('big step', -1e30, 2 ** 40 + 3);
    writer.flush();
    writer.close();

    expect(path.basename(writer.path)).toBe(`events.out.tfevents.1700000000.${hostname()}`);
    const events = readEvents(writer.path);
    expect(events[0]).toEqual({ wall_time: 1_700_000_000.25, step: 0, file_version: FILE_VERSION });
    expect(events.map((e) => e.wall_time)).toEqual([0, 1, 2, 3, 4, 5].map((i) => 1_700_000_000.25 + 0.5 * i));
    // simple_value is a float: the reader returns the float32 nearest to each value written.
    expect(scalarsOf(events)).toEqual([
      ['loss', 2.5, 1],
      ['loss', Math.fround(0.1), 2],
      ['accuracy', 0.9375, 2],
      ['val/loss', Math.fround(1 / 3), 7],
      ['val/accuracy', 0.75, 7],
      ['big step', Math.fround(-1e30), 2 ** 40 + 3],
    ]);
    expect(events.slice(1).every((e) => e.values!.every((v) => v.tensor === undefined && v.metadata === undefined))).toBe(true);
  });

  it('keeps NaN and infinities (a diverged loss is worth seeing)', () => {
    const writer = TensorBoardWriter.open(tmp());
    writer.scalar('loss', Number.NaN, 1);
    writer.scalar('loss', Number.POSITIVE_INFINITY, 2);
    writer.scalar('loss', Number.NEGATIVE_INFINITY, 3);
    writer.close();
    const values = scalarsOf(readEvents(writer.path)).map(([, v]) => v);
    expect(values[0]).toBeNaN();
    expect(values.slice(1)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  it("tensor form: a rank-0 DT_FLOAT tensor with the scalars plugin's metadata and DATA_CLASS_SCALAR", () => {
    const writer = TensorBoardWriter.open(tmp(), { form: 'tensor' });
    writer.scalar('epoch/accuracy', 0.8125, 3);
    writer.close();
    const [, event] = readEvents(writer.path);
    expect(event!.step).toBe(3);
    expect(event!.values).toEqual([
      {
        tag: 'epoch/accuracy',
        tensor: { dtype: 1, dims: [], float_val: [0.8125], content: '' },
        metadata: { plugin_name: 'scalars', plugin_content: '', data_class: 1 },
      },
    ]);
  });

  it('never replaces an existing file: a second writer in the same second gets a numbered name', () => {
    const dir = tmp();
    const clock = () => 1_800_000_000;
    const a = TensorBoardWriter.open(dir, { clock, filenameSuffix: '.distill' });
    const b = TensorBoardWriter.open(dir, { clock, filenameSuffix: '.distill' });
    a.scalar('x', 1, 1);
    b.scalar('x', 2, 1);
    a.close();
    b.close();
    const base = `events.out.tfevents.1800000000.${hostname()}.distill`;
    expect(readdirSync(dir).sort()).toEqual([base, `${base}.1`]);
    expect(scalarsOf(readEvents(a.path))).toEqual([['x', 1, 1]]);
    expect(scalarsOf(readEvents(b.path))).toEqual([['x', 2, 1]]);
  });

  it('the reader rejects a flipped byte and a truncated record (so its CRC checks are real)', () => {
    const writer = TensorBoardWriter.open(tmp());
    writer.scalar('loss', 1.5, 1);
    writer.close();
    const bytes = readFileSync(writer.path);
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 6]! ^= 0x01;
    const bad = `${writer.path}.flipped`;
    writeFileSync(bad, flipped);
    expect(() => readEvents(bad)).toThrow(/data crc mismatch/);
    const header = Buffer.from(bytes);
    const second = 12 + Number(bytes.readBigUInt64LE(0)) + 4;
    header[second]! ^= 0x01; // the second record's length
    writeFileSync(bad, header);
    expect(() => readEvents(bad)).toThrow(new RegExp(`length crc mismatch at byte ${second}`));
    writeFileSync(bad, bytes.subarray(0, bytes.length - 3));
    expect(() => readEvents(bad)).toThrow(/truncated record/);
  });

  it('bad input: typed errors naming the path, the tag or the step, before anything is written', () => {
    const dir = tmp();
    const file = path.join(dir, 'not-a-dir');
    writeFileSync(file, '');
    const notDir = (() => {
      try {
        TensorBoardWriter.open(path.join(file, 'run'));
      } catch (error) {
        return error;
      }
    })();
    expect(EventFileError.isInstance(notDir)).toBe(true);
    expect((notDir as EventFileError).path).toBe(path.join(file, 'run'));
    expect(() => TensorBoardWriter.open(dir, { filenameSuffix: '/x' })).toThrow(ConfigError);

    const writer = TensorBoardWriter.open(path.join(dir, 'run'));
    expect(() => writer.scalar('loss', 1, -1)).toThrow(/step: must be a non-negative integer, got -1/);
    expect(() => writer.scalar('loss', 1, 1.5)).toThrow(/step: must be a non-negative integer, got 1.5/);
    expect(() => writer.scalar('', 1, 1)).toThrow(/tag: must not be empty/);
    expect(() => writer.scalar('loss', '1' as unknown as number, 1)).toThrow(/tag loss: value must be a number, got string/);
    writer.close();
    writer.close();
    expect(writer.closed).toBe(true);
    expect(() => writer.scalar('loss', 1, 1)).toThrow(/the writer is closed/);
    expect(readEvents(writer.path).length).toBe(1);
  });
});
