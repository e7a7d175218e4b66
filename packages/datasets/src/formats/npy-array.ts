import { open } from 'node:fs/promises';
import { DataError, type DataLocation } from '@shrinkray/tensor-core';
import { type ByteStore, FileBytes, MemoryBytes, readAt } from './byte-store.js';
import { decodeElements } from './npy-decode.js';
import { NPY_PREAMBLE_BYTES, type NpyHeader, npyHeaderLength, parseNpyHeader } from './npy-header.js';

/** Arrays with at most this many data bytes are read into memory; larger C-order ones are read by row on demand. */
export const NPY_IN_MEMORY_BYTES = 256 * 2 ** 20;

/** Options of `NpyArray.openFile`. */
export interface NpyOpenOptions {
  /** Arrays with more data bytes than this are read row-ranges at a time from the file. Default `NPY_IN_MEMORY_BYTES`. */
  maxInMemoryBytes?: number;
}

/**
 * One `.npy` array: its header and its data bytes, in memory or read by file offset on demand
 * (C-order arrays larger than `maxInMemoryBytes`). Rows are the first axis.
 */
export class NpyArray {
  /** Number of rows (first axis). */
  readonly rows: number;
  /** Elements per row (product of the other axes). */
  readonly rowElements: number;
  /** Source index → for each C-order position in a row, its Fortran element offset / rows. */
  private readonly fortranInner: Int32Array | null;

  constructor(
    readonly header: NpyHeader,
    private readonly store: ByteStore,
    readonly where: DataLocation,
  ) {
    if (header.shape.length === 0) throw new DataError('unsupported', where, 'a 0-d (scalar) array has no rows');
    this.rows = header.shape[0]!;
    this.rowElements = header.shape.slice(1).reduce((a, b) => a * b, 1);
    this.fortranInner = header.fortranOrder && header.shape.length > 2 ? fortranOffsets(header.shape.slice(1)) : null;
    if (header.fortranOrder && !store.inMemory) throw new Error('Fortran-order arrays are read into memory');
  }

  /** True when the data bytes are in memory. */
  get inMemory(): boolean {
    return this.store.inMemory;
  }

  /**
   * Parses an array held in memory (e.g. an npz entry).
   *
   * @throws DataError when the header is bad or the data is shorter than the header's shape needs.
   */
  static fromBytes(bytes: Uint8Array, where: DataLocation): NpyArray {
    const header = parseNpyHeader(bytes, where);
    checkLength(header, bytes.length, where);
    return new NpyArray(header, new MemoryBytes(bytes.subarray(header.dataOffset, header.dataOffset + header.dataBytes)), where);
  }

  /**
   * Opens a `.npy` file (or a stored `.npy` inside another file, at `start`): the header is read
   * now, the data now (small or Fortran-order arrays) or by row on demand.
   */
  static async openFile(file: string, options: NpyOpenOptions & { start?: number; length?: number; entry?: string } = {}): Promise<NpyArray> {
    const where: DataLocation = options.entry === undefined ? { source: file } : { source: file, entry: options.entry };
    const handle = await open(file, 'r');
    let keep = false;
    try {
      const start = options.start ?? 0;
      const length = options.length ?? (await handle.stat()).size - start;
      const preamble = await readAt(handle, start, Math.min(NPY_PREAMBLE_BYTES, length));
      const headerLength = npyHeaderLength(preamble, where);
      const header = parseNpyHeader(await readAt(handle, start, Math.min(headerLength, length)), where);
      checkLength(header, length, where);
      const dataStart = start + header.dataOffset;
      if (header.fortranOrder || header.dataBytes <= (options.maxInMemoryBytes ?? NPY_IN_MEMORY_BYTES)) {
        return new NpyArray(header, new MemoryBytes(await readAt(handle, dataStart, header.dataBytes)), where);
      }
      keep = true;
      return new NpyArray(header, new FileBytes(handle, dataStart, header.dataBytes, true), where);
    } finally {
      if (!keep) await handle.close();
    }
  }

  /**
   * Decodes the rows at `indices` into `out` (row k at `k * rowElements`), C order, divided by `divisor`.
   */
  async readRows(indices: ArrayLike<number>, out: Float32Array | Float64Array, divisor = 1): Promise<void> {
    const { dtype, littleEndian, itemSize } = this.header;
    const row = this.rowElements;
    if (this.store instanceof MemoryBytes) {
      const bytes = this.store.bytes;
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k]!;
        if (this.header.fortranOrder) this.gatherFortran(bytes, i, out, k * row, divisor);
        else decodeElements(bytes, dtype, littleEndian, i * row, row, out, k * row, divisor);
      }
      return;
    }
    // On demand: one positional read per run of consecutive rows.
    const order = Array.from({ length: indices.length }, (_, k) => k).sort((a, b) => indices[a]! - indices[b]!);
    const reads: Promise<void>[] = [];
    for (let s = 0; s < order.length; ) {
      let e = s + 1;
      while (e < order.length && indices[order[e]!]! === indices[order[e - 1]!]! + 1) e++;
      const first = indices[order[s]!]!;
      const count = e - s;
      const positions = order.slice(s, e);
      reads.push(
        this.store.read(first * row * itemSize, count * row * itemSize).then((bytes) => {
          for (let r = 0; r < count; r++) decodeElements(bytes, dtype, littleEndian, r * row, row, out, positions[r]! * row, divisor);
        }),
      );
      s = e;
    }
    await Promise.all(reads);
  }

  /** Every element, C order, as doubles (for labels). */
  async readAll(): Promise<Float64Array> {
    const out = new Float64Array(this.rows * this.rowElements);
    await this.readRows(
      Int32Array.from({ length: this.rows }, (_, i) => i),
      out,
    );
    return out;
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  private gatherFortran(bytes: Uint8Array, i: number, out: Float32Array | Float64Array, at: number, divisor: number): void {
    const { dtype, littleEndian } = this.header;
    const n = this.rows;
    if (!this.fortranInner) {
      // Rank 1 or 2: element (i, p) is at i + n p.
      for (let p = 0; p < this.rowElements; p++) decodeElements(bytes, dtype, littleEndian, i + n * p, 1, out, at + p, divisor);
      return;
    }
    const inner = this.fortranInner;
    for (let p = 0; p < inner.length; p++) decodeElements(bytes, dtype, littleEndian, i + n * inner[p]!, 1, out, at + p, divisor);
  }
}

function checkLength(header: NpyHeader, available: number, where: DataLocation): void {
  const need = header.dataOffset + header.dataBytes;
  if (available < need) {
    throw new DataError('corrupt', where, `truncated .npy: shape [${header.shape.join(', ')}] ${header.dtype} needs ${need} bytes, the file has ${available}`);
  }
}

/** For each C-order position in a row of shape `dims`, the Fortran-order offset of that element (in units of rows). */
function fortranOffsets(dims: readonly number[]): Int32Array {
  const size = dims.reduce((a, b) => a * b, 1);
  const out = new Int32Array(size);
  const index = new Array<number>(dims.length).fill(0);
  for (let p = 0; p < size; p++) {
    let f = 0;
    for (let d = dims.length - 1; d >= 0; d--) f = f * dims[d]! + index[d]!;
    out[p] = f;
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++index[d]! < dims[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}
