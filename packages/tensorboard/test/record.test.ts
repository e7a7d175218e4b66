import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameRecord, maskedCrc32c, TensorBoardWriter } from '../src/index.js';

const bytes = (...parts: (number | number[] | Uint8Array)[]) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'number' ? [p] : [...p])));
const le = (n: number, size: 4 | 8, kind: 'uint' | 'float' = 'uint') => {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  if (kind === 'float') size === 4 ? v.setFloat32(0, n, true) : v.setFloat64(0, n, true);
  else size === 4 ? v.setUint32(0, n, true) : v.setBigUint64(0, BigInt(n), true);
  return b;
};

describe('TFRecord framing and Event bytes, against hand-computed values', () => {
  it('masked CRC32C: the CRC-32C check value of "123456789" is 0xE3069283; rotated right 15 plus 0xa282ead8 gives 0xC78AB0E5', () => {
    expect(maskedCrc32c(new TextEncoder().encode('123456789'))).toBe(0xc78ab0e5);
  });

  it('frameRecord: uint64 length, its masked CRC, the data, the data masked CRC', () => {
    const data = new TextEncoder().encode('123456789');
    expect(frameRecord(data)).toEqual(bytes(le(9, 8), le(maskedCrc32c(le(9, 8)), 4), data, le(0xc78ab0e5, 4)));
  });

  it('one scalar: Event{wall_time=1.5, step=2, summary{value{tag="a", simple_value=0.5}}} byte for byte', () => {
    const writer = TensorBoardWriter.open(mkdtempSync(path.join(tmpdir(), 'shrinkray-tb-')), { clock: () => 1.5 });
    writer.scalar('a', 0.5, 2);
    writer.close();
    // Value: tag (field 1, length-delimited) "a"; simple_value (field 2, fixed32) 0.5 -> 8 bytes.
    const value = bytes(0x0a, 1, 0x61, 0x15, le(0.5, 4, 'float'));
    // Event: wall_time (field 1, fixed64), step (field 2, varint), summary (field 5, length-delimited{value (field 1)}).
    const event = bytes(0x09, le(1.5, 8, 'float'), 0x10, 2, 0x2a, 2 + value.length, 0x0a, value.length, value);
    // The file version record first: Event{wall_time=1.5, step=0, file_version (field 3)="brain.Event:2"}.
    const version = new TextEncoder().encode('brain.Event:2');
    const first = bytes(0x09, le(1.5, 8, 'float'), 0x10, 0, 0x1a, version.length, version);
    expect(new Uint8Array(readFileSync(writer.path))).toEqual(bytes(frameRecord(first), frameRecord(event)));
  });
});
