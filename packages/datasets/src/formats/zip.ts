import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { DataError } from '@shrinkray/tensor-core';
import { readAt } from './byte-store.js';

const inflateRaw = promisify(zlib.inflateRaw);

/** One file inside a zip archive, from its central directory. */
export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 DEFLATE. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc32: number;
  /** Offset of the entry's local header. */
  readonly localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('zip64 value too large');
  return Number(v);
}

/**
 * Lists a zip archive's entries from its central directory (zip64 included). Encrypted entries and
 * methods other than stored and DEFLATE are listed and refused when read.
 *
 * @throws DataError ('corrupt') naming the file when there is no readable central directory.
 */
export async function readZipDirectory(handle: FileHandle, file: string): Promise<ZipEntry[]> {
  const size = (await handle.stat()).size;
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = await readAt(handle, size - tailLength, tailLength);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  const corrupt = (why: string): never => {
    throw new DataError('corrupt', { source: file }, `not a readable zip/npz archive (${why})`);
  };
  if (eocd < 0) corrupt('no end-of-central-directory record');
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === MAX32 || cdOffset === MAX32) {
    const loc = eocd - 20;
    if (loc < 0 || tv.getUint32(loc, true) !== ZIP64_LOCATOR) corrupt('zip64 locator missing');
    const recordOffset = u64(tv, loc + 8);
    const record = await readAt(handle, recordOffset, 56);
    const rv = new DataView(record.buffer, record.byteOffset, record.byteLength);
    if (record.length < 56 || rv.getUint32(0, true) !== ZIP64_EOCD) corrupt('zip64 end record missing');
    count = u64(rv, 32);
    cdSize = u64(rv, 40);
    cdOffset = u64(rv, 48);
  }
  if (cdOffset + cdSize > size) corrupt('central directory beyond the end of the file (truncated?)');
  const cd = await readAt(handle, cdOffset, cdSize);
  const v = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || v.getUint32(p, true) !== CENTRAL) corrupt(`central directory entry ${k} is damaged`);
    const flags = v.getUint16(p + 8, true);
    const method = flags & 1 ? -1 : v.getUint16(p + 10, true);
    const crc32 = v.getUint32(p + 16, true);
    let compressedSize = v.getUint32(p + 20, true);
    let uncompressed = v.getUint32(p + 24, true);
    const nameLength = v.getUint16(p + 28, true);
    const extraLength = v.getUint16(p + 30, true);
    const commentLength = v.getUint16(p + 32, true);
    let localHeaderOffset = v.getUint32(p + 42, true);
    const name = new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLength));
    // zip64 extra field: the 64-bit values of the fields that read 0xFFFFFFFF, in this order.
    for (let e = p + 46 + nameLength; e + 4 <= p + 46 + nameLength + extraLength; ) {
      const id = v.getUint16(e, true);
      const len = v.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        if (uncompressed === MAX32) {
          uncompressed = u64(v, q);
          q += 8;
        }
        if (compressedSize === MAX32) {
          compressedSize = u64(v, q);
          q += 8;
        }
        if (localHeaderOffset === MAX32) localHeaderOffset = u64(v, q);
      }
      e += 4 + len;
    }
    entries.push({ name, method, compressedSize, size: uncompressed, crc32, localHeaderOffset });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Offset in the archive of an entry's (possibly compressed) data. */
export async function zipDataOffset(handle: FileHandle, file: string, entry: ZipEntry): Promise<number> {
  const local = await readAt(handle, entry.localHeaderOffset, 30);
  const v = new DataView(local.buffer, local.byteOffset, local.byteLength);
  if (local.length < 30 || v.getUint32(0, true) !== LOCAL) {
    throw new DataError('corrupt', { source: file, entry: entry.name }, 'local header missing (truncated archive?)');
  }
  return entry.localHeaderOffset + 30 + v.getUint16(26, true) + v.getUint16(28, true);
}

/**
 * An entry's bytes, inflated and CRC-checked.
 *
 * @throws DataError naming the archive and entry when it is encrypted, uses another method,
 *   is truncated or fails its CRC.
 */
export async function readZipEntry(handle: FileHandle, file: string, entry: ZipEntry): Promise<Uint8Array> {
  const where = { source: file, entry: entry.name };
  if (entry.method !== 0 && entry.method !== 8) {
    throw new DataError('unsupported', where, entry.method < 0 ? 'encrypted zip entries are not supported' : `zip compression method ${entry.method} (shrinkray reads stored and DEFLATE)`);
  }
  const start = await zipDataOffset(handle, file, entry);
  const raw = await readAt(handle, start, entry.compressedSize);
  if (raw.length < entry.compressedSize) throw new DataError('corrupt', where, `truncated: ${raw.length} of ${entry.compressedSize} bytes`);
  let bytes: Uint8Array;
  try {
    bytes = entry.method === 0 ? raw : await inflateRaw(raw);
  } catch (error) {
    throw new DataError('corrupt', where, `DEFLATE data is damaged (${(error as Error).message})`);
  }
  if (bytes.length !== entry.size || zlib.crc32(bytes) >>> 0 !== entry.crc32) {
    throw new DataError('corrupt', where, 'the entry fails its size or CRC-32 check');
  }
  return bytes;
}
