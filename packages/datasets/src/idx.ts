import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DatasetFormatError } from './errors/dataset-format-error.js';

/** Element types the IDX format defines (type byte 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E). */
export type IdxDataType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed array that holds each IDX element type (values converted to the machine's byte order). */
export interface IdxArrayMap {
  uint8: Uint8Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  float32: Float32Array;
  float64: Float64Array;
}

/** A decoded IDX file: element type, dimensions and the elements in row-major order. */
export interface IdxArray<T extends IdxDataType = IdxDataType> {
  readonly dtype: T;
  readonly shape: readonly number[];
  readonly data: IdxArrayMap[T];
}

/** Options for {@link decodeIdx} and {@link readIdx}. */
export interface IdxReadOptions {
  /**
   * Name used for the data in error messages (a file path, usually). `readIdx` uses the path.
   * @defaultValue `'<buffer>'`
   */
  source?: string;
  /**
   * Largest element payload (in bytes) accepted. A header claiming more is refused before anything
   * is allocated, and a gzip stream that inflates past it is cut off.
   * @defaultValue 1 GiB
   */
  maxBytes?: number;
}

/** Default {@link IdxReadOptions.maxBytes}: 1 GiB. */
export const DEFAULT_IDX_MAX_BYTES = 1 << 30;

interface TypeInfo {
  dtype: IdxDataType;
  size: number;
}

const TYPES: ReadonlyMap<number, TypeInfo> = new Map([
  [0x08, { dtype: 'uint8', size: 1 }],
  [0x09, { dtype: 'int8', size: 1 }],
  [0x0b, { dtype: 'int16', size: 2 }],
  [0x0c, { dtype: 'int32', size: 4 }],
  [0x0d, { dtype: 'float32', size: 4 }],
  [0x0e, { dtype: 'float64', size: 8 }],
]);

const hex = (b: number): string => `0x${b.toString(16).padStart(2, '0')}`;

/** True when the bytes start with the gzip magic number `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gunzip(bytes: Uint8Array, source: string, maxBytes: number): Uint8Array {
  // The header is at most 4 + 4·255 bytes; allow that on top of the payload limit.
  const limit = maxBytes + 4 + 4 * 255;
  try {
    return gunzipSync(bytes, { maxOutputLength: limit });
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || cause instanceof RangeError) {
      throw new DatasetFormatError({
        file: source,
        expected: `gzip data that inflates to at most ${limit} bytes`,
        found: 'more (refused before inflating further)',
        cause,
      });
    }
    throw new DatasetFormatError({
      file: source,
      expected: 'a complete gzip stream',
      found: `a corrupt or truncated one (${(cause as Error).message})`,
      cause,
    });
  }
}

/**
 * Decodes an IDX file (the format of MNIST and Fashion-MNIST) held in memory, plain or gzipped
 * (detected by the gzip magic bytes `1f 8b`).
 *
 * The header is `00 00 TYPE DIMS`, then DIMS big-endian uint32 sizes, then the elements in
 * big-endian order. Everything is checked: magic, type byte, dimension count, and that the payload
 * is exactly as long as the header says (no truncation, no trailing bytes). A header that claims
 * more than `maxBytes` is refused before any allocation.
 *
 * @throws {@link DatasetFormatError} naming the source, what was expected and what was found.
 *
 * @example
 * const labels = decodeIdx(bytes, { source: 'train-labels-idx1-ubyte' });
 * labels.shape; // [60000]
 */
export function decodeIdx(bytes: Uint8Array, options: IdxReadOptions = {}): IdxArray {
  const source = options.source ?? '<buffer>';
  const maxBytes = options.maxBytes ?? DEFAULT_IDX_MAX_BYTES;
  const buf = isGzip(bytes) ? gunzip(bytes, source, maxBytes) : bytes;

  if (buf.length < 4) {
    throw new DatasetFormatError({ file: source, expected: 'an IDX header of at least 4 bytes', found: `${buf.length} bytes` });
  }
  const [m0, m1, typeByte, dims] = [buf[0]!, buf[1]!, buf[2]!, buf[3]!];
  if (m0 !== 0 || m1 !== 0) {
    throw new DatasetFormatError({
      file: source,
      expected: 'IDX magic number starting with 00 00',
      found: `${hex(m0)} ${hex(m1)} ${hex(typeByte)} ${hex(dims)}`,
    });
  }
  const type = TYPES.get(typeByte);
  if (type === undefined) {
    throw new DatasetFormatError({
      file: source,
      expected: 'IDX type byte 0x08 (uint8), 0x09 (int8), 0x0b (int16), 0x0c (int32), 0x0d (float32) or 0x0e (float64)',
      found: hex(typeByte),
    });
  }
  if (dims === 0) {
    throw new DatasetFormatError({ file: source, expected: 'at least one dimension', found: '0 dimensions' });
  }
  const headerSize = 4 + 4 * dims;
  if (buf.length < headerSize) {
    throw new DatasetFormatError({
      file: source,
      expected: `a ${headerSize}-byte header for ${dims} dimensions`,
      found: `${buf.length} bytes (truncated)`,
    });
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < dims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
    if (count * type.size > maxBytes) {
      throw new DatasetFormatError({
        file: source,
        expected: `at most ${maxBytes} bytes of ${type.dtype} data (raise maxBytes to allow more)`,
        found: `a header claiming dimension ${i} = ${d}${i > 0 ? ` after [${shape.slice(0, i).join(',')}]` : ''}, i.e. more than that`,
      });
    }
  }
  const payload = count * type.size;
  const actual = buf.length - headerSize;
  if (actual !== payload) {
    throw new DatasetFormatError({
      file: source,
      expected: `${payload} data bytes for ${type.dtype} [${shape.join(',')}]`,
      found: `${actual} bytes (${actual < payload ? 'truncated' : `${actual - payload} extra bytes`})`,
    });
  }
  return { dtype: type.dtype, shape, data: readElements(view, headerSize, count, type.dtype) };
}

function readElements(view: DataView, offset: number, n: number, dtype: IdxDataType): IdxArray['data'] {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + n));
    case 'int8':
      return new Int8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + n));
    case 'int16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/**
 * Reads and decodes an IDX file (plain or `.gz`, detected by content, not by name).
 *
 * @throws {@link DatasetFormatError} for malformed files; the file system's error if it cannot be read.
 *
 * @example
 * const images = await readIdx('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz');
 * images.dtype; // 'uint8'
 * images.shape; // [10000, 28, 28]
 */
export async function readIdx(path: string, options: Omit<IdxReadOptions, 'source'> = {}): Promise<IdxArray> {
  const bytes = await readFile(path);
  return decodeIdx(bytes, { ...options, source: path });
}

const TYPE_BYTES: Readonly<Record<IdxDataType, number>> = {
  uint8: 0x08,
  int8: 0x09,
  int16: 0x0b,
  int32: 0x0c,
  float32: 0x0d,
  float64: 0x0e,
};

/**
 * Encodes an array as an (uncompressed) IDX file, big-endian, the inverse of {@link decodeIdx}.
 *
 * @example
 * const bytes = encodeIdx({ dtype: 'uint8', shape: [2], data: Uint8Array.of(3, 7) });
 */
export function encodeIdx(array: IdxArray): Uint8Array {
  const { dtype, shape, data } = array;
  let count = 1;
  for (const d of shape) count *= d;
  if (data.length !== count) {
    throw new DatasetFormatError({ file: '<encodeIdx>', expected: `${count} elements for [${shape.join(',')}]`, found: `${data.length}` });
  }
  const size = TYPES.get(TYPE_BYTES[dtype])!.size;
  const headerSize = 4 + 4 * shape.length;
  const out = new Uint8Array(headerSize + count * size);
  const view = new DataView(out.buffer);
  out[2] = TYPE_BYTES[dtype];
  out[3] = shape.length;
  for (const [i, d] of shape.entries()) view.setUint32(4 + 4 * i, d, false);
  for (let i = 0; i < count; i++) {
    const v = data[i]!;
    const at = headerSize + i * size;
    switch (dtype) {
      case 'uint8':
        view.setUint8(at, v);
        break;
      case 'int8':
        view.setInt8(at, v);
        break;
      case 'int16':
        view.setInt16(at, v, false);
        break;
      case 'int32':
        view.setInt32(at, v, false);
        break;
      case 'float32':
        view.setFloat32(at, v, false);
        break;
      case 'float64':
        view.setFloat64(at, v, false);
        break;
    }
  }
  return out;
}
