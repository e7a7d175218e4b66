import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetFormatError } from './errors/dataset-format-error.js';
import { decodeIdx, encodeIdx, isGzip, readIdx } from './idx.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

function expectFormatError(fn: () => unknown, parts: { file?: string; expected?: RegExp; found?: RegExp }): DatasetFormatError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(DatasetFormatError.isInstance(caught)).toBe(true);
  const error = caught as DatasetFormatError;
  expect(error.code).toBe('DATASET_FORMAT');
  if (parts.file !== undefined) {
    expect(error.file).toBe(parts.file);
    expect(error.message).toContain(parts.file);
  }
  if (parts.expected) expect(error.expected).toMatch(parts.expected);
  if (parts.found) expect(error.found).toMatch(parts.found);
  return error;
}

describe('decodeIdx', () => {
  it('decodes a 1-D uint8 file byte for byte', () => {
    const idx = decodeIdx(bytes(0, 0, 0x08, 1, 0, 0, 0, 3, 5, 6, 255));
    expect(idx.dtype).toBe('uint8');
    expect(idx.shape).toEqual([3]);
    expect(idx.data).toBeInstanceOf(Uint8Array);
    expect([...idx.data]).toEqual([5, 6, 255]);
  });

  it('decodes a 3-D uint8 file with big-endian dimensions', () => {
    // shape [2, 1, 259]: 259 = 0x00000103 big-endian, so a little-endian reader would see a different size
    const header = [0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 1, 3];
    const payload = Array.from({ length: 2 * 259 }, (_, i) => i % 251);
    const idx = decodeIdx(Uint8Array.from([...header, ...payload]));
    expect(idx.shape).toEqual([2, 1, 259]);
    expect(idx.data.length).toBe(518);
    expect(idx.data[0]).toBe(0);
    expect(idx.data[260]).toBe(9); // 260 % 251
    expect(idx.data[517]).toBe(15); // 517 % 251
  });

  it('decodes the same bytes gzipped (detected by the 1f 8b magic, not the name)', () => {
    const plain = bytes(0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4);
    const gz = gzipSync(plain);
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(plain)).toBe(false);
    const idx = decodeIdx(gz);
    expect(idx.shape).toEqual([2, 2]);
    expect([...idx.data]).toEqual([1, 2, 3, 4]);
  });

  it('decodes int8, int16, int32, float32 and float64 big-endian', () => {
    expect([...decodeIdx(bytes(0, 0, 0x09, 1, 0, 0, 0, 3, 0xff, 0x7f, 0x80)).data]).toEqual([-1, 127, -128]);

    const i16 = decodeIdx(bytes(0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe));
    expect(i16.dtype).toBe('int16');
    expect([...i16.data]).toEqual([258, -2]);

    const i32 = decodeIdx(bytes(0, 0, 0x0c, 1, 0, 0, 0, 2, 0x00, 0x01, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff));
    expect(i32.dtype).toBe('int32');
    expect([...i32.data]).toEqual([65536, -1]);

    // 0x3f800000 = 1.0, 0xc0000000 = -2.0 (IEEE 754 single)
    const f32 = decodeIdx(bytes(0, 0, 0x0d, 1, 0, 0, 0, 2, 0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0));
    expect(f32.dtype).toBe('float32');
    expect([...f32.data]).toEqual([1, -2]);

    // 0x400921fb54442d18 = pi (IEEE 754 double)
    const f64 = decodeIdx(bytes(0, 0, 0x0e, 1, 0, 0, 0, 1, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18));
    expect(f64.dtype).toBe('float64');
    expect(f64.data[0]).toBe(Math.PI);
  });

  it('decodes views into a larger buffer (non-zero byteOffset)', () => {
    const backing = bytes(99, 99, 99, 0, 0, 0x0b, 1, 0, 0, 0, 1, 0x12, 0x34);
    const idx = decodeIdx(backing.subarray(3));
    expect([...idx.data]).toEqual([0x1234]);
  });

  it('rejects a wrong magic number, naming the source and the bytes found', () => {
    const error = expectFormatError(() => decodeIdx(bytes(0x01, 0x00, 0x08, 1, 0, 0, 0, 0), { source: 'labels.idx' }), {
      file: 'labels.idx',
      expected: /magic/,
      found: /0x01 0x00 0x08 0x01/,
    });
    expect(error.message).toBe('labels.idx: expected IDX magic number starting with 00 00, found 0x01 0x00 0x08 0x01');
  });

  it('rejects an unknown type byte', () => {
    expectFormatError(() => decodeIdx(bytes(0, 0, 0x0a, 1, 0, 0, 0, 0), { source: 'x' }), { file: 'x', expected: /0x08 \(uint8\)/, found: /^0x0a$/ });
  });

  it('rejects zero dimensions and a header shorter than its dimension count', () => {
    expectFormatError(() => decodeIdx(bytes(0, 0, 0x08, 0)), { file: '<buffer>', found: /0 dimensions/ });
    expectFormatError(() => decodeIdx(bytes(0, 0, 0x08, 3, 0, 0, 0, 1)), { expected: /16-byte header for 3 dimensions/, found: /8 bytes \(truncated\)/ });
    expectFormatError(() => decodeIdx(bytes(0, 0)), { expected: /at least 4 bytes/, found: /2 bytes/ });
  });

  it('rejects truncated data and extra bytes with exact counts', () => {
    expectFormatError(() => decodeIdx(bytes(0, 0, 0x08, 1, 0, 0, 0, 4, 1, 2, 3), { source: 'short' }), {
      file: 'short',
      expected: /^4 data bytes for uint8 \[4\]$/,
      found: /^3 bytes \(truncated\)$/,
    });
    expectFormatError(() => decodeIdx(bytes(0, 0, 0x0c, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7, 7)), {
      expected: /^4 data bytes for int32 \[1\]$/,
      found: /^6 bytes \(2 extra bytes\)$/,
    });
  });

  it('refuses a header claiming a huge size before allocating anything', () => {
    // 3 dimensions of 2^32-1 each: about 8e28 bytes claimed by a 16-byte file
    const huge = bytes(0, 0, 0x08, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    expectFormatError(() => decodeIdx(huge, { source: 'bomb.idx' }), { file: 'bomb.idx', expected: /at most 1073741824 bytes/, found: /dimension 0 = 4294967295/ });
    // the limit is configurable: 100 float64 = 800 bytes > 799
    const claim = bytes(0, 0, 0x0e, 1, 0, 0, 0, 100);
    expectFormatError(() => decodeIdx(claim, { maxBytes: 799 }), { expected: /at most 799 bytes of float64/ });
  });

  it('cuts off a gzip stream that inflates past the limit, and reports corrupt gzip', () => {
    const big = new Uint8Array(4 + 4 + 1_000_000);
    big.set([0, 0, 0x08, 1, 0x00, 0x0f, 0x42, 0x40]); // 1,000,000 elements
    const gz = gzipSync(big);
    expect(decodeIdx(gz).shape).toEqual([1_000_000]);
    expectFormatError(() => decodeIdx(gz, { maxBytes: 1000, source: 'big.gz' }), { file: 'big.gz', expected: /inflates to at most 2024 bytes/ });
    expectFormatError(() => decodeIdx(gz.subarray(0, 30), { source: 'cut.gz' }), { file: 'cut.gz', expected: /complete gzip stream/ });
  });
});

describe('encodeIdx', () => {
  it('writes the bytes a hand-built file has and round-trips every type', () => {
    expect([...encodeIdx({ dtype: 'int16', shape: [2], data: Int16Array.of(258, -2) })]).toEqual([0, 0, 0x0b, 1, 0, 0, 0, 2, 1, 2, 0xff, 0xfe]);
    const cases = [
      { dtype: 'uint8', shape: [2, 3], data: Uint8Array.of(0, 1, 2, 253, 254, 255) },
      { dtype: 'int8', shape: [3], data: Int8Array.of(-128, 0, 127) },
      { dtype: 'int32', shape: [1, 2], data: Int32Array.of(-2147483648, 2147483647) },
      { dtype: 'float32', shape: [2], data: Float32Array.of(0.5, -3.25) },
      { dtype: 'float64', shape: [1], data: Float64Array.of(Math.E) },
    ] as const;
    for (const c of cases) {
      const back = decodeIdx(encodeIdx(c));
      expect(back.dtype).toBe(c.dtype);
      expect(back.shape).toEqual(c.shape);
      expect([...back.data]).toEqual([...c.data]);
    }
  });
});

describe('readIdx', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shrinkray-idx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads plain and gzipped files and names the path in errors', async () => {
    const plain = join(dir, 'a-idx1-ubyte');
    const gz = join(dir, 'a-idx1-ubyte.gz');
    const broken = join(dir, 'broken-idx1-ubyte');
    writeFileSync(plain, bytes(0, 0, 0x08, 1, 0, 0, 0, 2, 42, 43));
    writeFileSync(gz, gzipSync(bytes(0, 0, 0x08, 1, 0, 0, 0, 2, 42, 43)));
    writeFileSync(broken, bytes(0, 0, 0x08, 1, 0, 0, 0, 3, 42, 43));
    expect([...(await readIdx(plain)).data]).toEqual([42, 43]);
    expect([...(await readIdx(gz)).data]).toEqual([42, 43]);
    await expect(readIdx(broken)).rejects.toThrow(`${broken}: expected 3 data bytes for uint8 [3], found 2 bytes (truncated)`);
  });
});
