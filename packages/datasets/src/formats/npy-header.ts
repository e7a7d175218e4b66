import { DataError, type DataLocation } from '@shrinkray/tensor-core';

/** The element types shrinkray reads from `.npy` files. */
export type NpyDType = 'bool' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'uint64' | 'int64' | 'float16' | 'float32' | 'float64';

/** A parsed `.npy` header. */
export interface NpyHeader {
  readonly dtype: NpyDType;
  /** Bytes per element. */
  readonly itemSize: number;
  readonly littleEndian: boolean;
  /** True when the data is stored in Fortran (column-major) order. */
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** Offset of the first data byte from the start of the file. */
  readonly dataOffset: number;
  /** Number of data bytes (`itemSize` × number of elements). */
  readonly dataBytes: number;
  /** Format version, e.g. `[1, 0]`. */
  readonly version: readonly [number, number];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const KINDS: Record<string, NpyDType> = {
  b1: 'bool', u1: 'uint8', i1: 'int8', u2: 'uint16', i2: 'int16', u4: 'uint32', i4: 'int32', u8: 'uint64', i8: 'int64', f2: 'float16', f4: 'float32', f8: 'float64',
};

/** Bytes needed before `parseNpyHeader` can tell the header's length. */
export const NPY_PREAMBLE_BYTES = 12;

/**
 * The total header length (magic, version, length field and dictionary) of a `.npy` file from its
 * first `NPY_PREAMBLE_BYTES` bytes.
 *
 * @throws DataError ('corrupt') when the bytes do not start with the `.npy` magic.
 */
export function npyHeaderLength(bytes: Uint8Array, where: DataLocation): number {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new DataError('corrupt', where, 'not a .npy file (no \\x93NUMPY magic)');
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) return 10 + view.getUint16(8, true);
  if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new DataError('corrupt', where, 'truncated .npy header');
    return 12 + view.getUint32(8, true);
  }
  throw new DataError('unsupported', where, `.npy format version ${major}.${bytes[7]} (shrinkray reads 1.0, 2.0 and 3.0)`);
}

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/** A parser of the Python literal subset `.npy` headers use: dict, tuple/list, str, int, True/False/None. */
class LiteralParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly where: DataLocation,
  ) {}

  parse(): PyValue {
    const value = this.value();
    this.space();
    if (this.pos !== this.text.length) this.fail('unexpected text after the header dictionary');
    return value;
  }

  private fail(why: string): never {
    throw new DataError('corrupt', this.where, `unreadable .npy header (${why}): ${this.text.trim().slice(0, 120)}`);
  }

  private space(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private value(): PyValue {
    this.space();
    const c = this.text[this.pos];
    if (c === '{') return this.dict();
    if (c === '(' || c === '[') return this.sequence(c === '(' ? ')' : ']');
    if (c === "'" || c === '"') return this.string();
    const word = /^(True|False|None|-?\d+L?)/.exec(this.text.slice(this.pos));
    if (!word) this.fail(`unexpected character ${JSON.stringify(c ?? 'end of header')}`);
    this.pos += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0].replace('L', ''));
  }

  private string(): string {
    const quote = this.text[this.pos++];
    const end = this.text.indexOf(quote!, this.pos);
    if (end < 0) this.fail('unterminated string');
    const s = this.text.slice(this.pos, end);
    this.pos = end + 1;
    return s;
  }

  private sequence(close: string): PyValue[] {
    this.pos++;
    const items: PyValue[] = [];
    for (;;) {
      this.space();
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value());
      this.space();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== close) this.fail(`expected "," or "${close}"`);
    }
  }

  private dict(): { [key: string]: PyValue } {
    this.pos++;
    const out: { [key: string]: PyValue } = {};
    for (;;) {
      this.space();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const key = this.value();
      if (typeof key !== 'string') this.fail('a dictionary key is not a string');
      this.space();
      if (this.text[this.pos++] !== ':') this.fail('expected ":"');
      out[key] = this.value();
      this.space();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail('expected "," or "}"');
    }
  }
}

/**
 * Parses a `.npy` header (versions 1.0, 2.0, 3.0). `bytes` must hold at least the whole header
 * (see `npyHeaderLength`). Object (pickled) and structured dtypes are refused: nothing is unpickled.
 *
 * @throws DataError ('corrupt' | 'unsupported') naming the file (and archive entry).
 */
export function parseNpyHeader(bytes: Uint8Array, where: DataLocation): NpyHeader {
  const headerLength = npyHeaderLength(bytes, where);
  if (bytes.length < headerLength) throw new DataError('corrupt', where, `truncated .npy header: ${bytes.length} of ${headerLength} bytes`);
  const major = bytes[6]!;
  const start = major === 1 ? 10 : 12;
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, headerLength));
  const dict = new LiteralParser(text, where).parse();
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) {
    throw new DataError('corrupt', where, 'the .npy header is not a dictionary');
  }
  const { descr, fortran_order: fortran, shape } = dict;
  if (typeof descr !== 'string') {
    throw new DataError('unsupported', where, 'structured dtypes (records) are not supported; save plain numeric arrays');
  }
  const order = descr[0]!;
  const kind = KINDS[descr.slice(1)];
  if (!'<>|='.includes(order) || kind === undefined) {
    if (descr.slice(1) === 'O') {
      throw new DataError('unsupported', where, 'dtype object: pickled Python objects are refused (never unpickled); save a numeric array');
    }
    throw new DataError('unsupported', where, `dtype ${descr} (shrinkray reads bool, uint8/16/32/64, int8/16/32/64, float16/32/64)`);
  }
  if (typeof fortran !== 'boolean') throw new DataError('corrupt', where, 'the .npy header has no boolean fortran_order');
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new DataError('corrupt', where, 'the .npy header has no shape tuple of non-negative integers');
  }
  const dims = shape as number[];
  const itemSize = Number(descr.slice(2));
  const count = dims.reduce((a, b) => a * b, 1);
  return {
    dtype: kind,
    itemSize,
    littleEndian: order !== '>',
    fortranOrder: fortran,
    shape: Object.freeze([...dims]),
    dataOffset: headerLength,
    dataBytes: count * itemSize,
    version: [major, bytes[7]!],
  };
}
