import { DataError, type ExampleSource, Tensor } from '@shrinkray/tensor-core';
import type { NpyArray } from './npy-array.js';

/** Largest token id a tfjs student can take (its ids are int32). */
const MAX_ID = 2 ** 31 - 1;

/** Rows decoded per step when an in-memory array is range-checked at open time. */
const CHECK_ROWS = 4096;

/**
 * True when an array holds token ids rather than features: a rank-2 `[N, L]` array of int32 or
 * int64 (what Hugging Face pipelines write with `np.save(ids)`; `input_ids` are int64 there).
 */
export function isTokenIdArray(array: NpyArray): boolean {
  const { shape, dtype } = array.header;
  return shape.length === 2 && (dtype === 'int64' || dtype === 'int32');
}

/**
 * Token ids `[N, L]` from an int32/int64 `.npy` array (a file or an npz entry), as int32 (tfjs has
 * no int64; ids above 2^31 - 1 would not index any embedding table). Values are checked to be in
 * `[0, 2^31 - 1]`: at open time for arrays in memory (`checkRange`), per batch otherwise.
 */
export class NpyIdSource implements ExampleSource<'int32'> {
  readonly dtype = 'int32';
  readonly size: number;
  readonly exampleShape: readonly number[];

  constructor(
    readonly name: string,
    private readonly array: NpyArray,
  ) {
    if (!isTokenIdArray(array)) throw new DataError('unsupported', array.where, `token ids must be a [N, L] int32/int64 array, found ${array.header.dtype} [${array.header.shape.join(', ')}]`);
    this.size = array.rows;
    this.exampleShape = Object.freeze([array.rowElements]);
  }

  get inMemory(): boolean {
    return this.array.inMemory;
  }

  /** What the loader did to the values, for the dataset's notes. */
  get note(): string {
    const h = this.array.header;
    return `${this.name}: [${h.shape.join(', ')}] ${h.dtype} token ids, read as int32${this.array.inMemory ? '' : ', from the file a batch at a time'}`;
  }

  /** Decodes every row once (in steps) so an id out of range is reported at open time. */
  async checkRange(): Promise<void> {
    for (let start = 0; start < this.size; start += CHECK_ROWS) {
      await this.read(Int32Array.from({ length: Math.min(CHECK_ROWS, this.size - start) }, (_, k) => start + k));
    }
  }

  async read(indices: Int32Array, signal?: AbortSignal): Promise<Tensor<'int32'>> {
    signal?.throwIfAborted();
    const row = this.array.rowElements;
    // Doubles hold every int32 exactly and every int64 up to 2^53 (anything larger is out of range anyway).
    const values = new Float64Array(indices.length * row);
    await this.array.readRows(indices, values);
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < 0 || v > MAX_ID) {
        const k = Math.floor(i / row);
        throw new DataError('unsupported', { ...this.array.where, row: indices[k]!, column: i - k * row }, `token id ${v} is outside [0, ${MAX_ID}] (ids are int32 in tfjs)`);
      }
      out[i] = v;
    }
    return new Tensor('int32', [indices.length, row], out, `${this.name}.x`);
  }

  async close(): Promise<void> {
    await this.array.close();
  }
}
