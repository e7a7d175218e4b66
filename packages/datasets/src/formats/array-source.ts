import { DataError, type DataLocation, type ExampleSource, Tensor } from '@shrinkray/tensor-core';
import type { NpyArray } from './npy-array.js';
import type { Normaliser } from './normalise.js';

/** Rows decoded per step when an in-memory array is checked for NaN/Inf at open time. */
const CHECK_ROWS = 4096;

/**
 * The shape of one example of an array `[N, ...rest]`: `[H, W]` images (rank-3 arrays, as Keras'
 * `mnist.npz` stores them) get a channel axis `[H, W, 1]`, like the IDX loaders; rank-1 arrays hold
 * one feature per example.
 */
export function exampleShapeOf(shape: readonly number[]): number[] {
  if (shape.length === 1) return [1];
  if (shape.length === 3) return [shape[1]!, shape[2]!, 1];
  return shape.slice(1);
}

/**
 * Examples from a `.npy` array (a file, or an npz entry): decoded to float32 a batch at a time,
 * uint8 scaled to [0, 1], then the optional per-channel normalisation. Values are checked finite:
 * at open time for arrays in memory (`checkFinite`), per batch for arrays read from the file.
 */
export class NpyExampleSource implements ExampleSource<'float32'> {
  readonly dtype = 'float32';
  readonly size: number;
  readonly exampleShape: readonly number[];
  private readonly divisor: number;

  constructor(
    readonly name: string,
    private readonly array: NpyArray,
    private readonly normalise: Normaliser | null,
  ) {
    this.size = array.rows;
    this.exampleShape = Object.freeze(exampleShapeOf(array.header.shape));
    this.divisor = array.header.dtype === 'uint8' ? 255 : 1;
  }

  get inMemory(): boolean {
    return this.array.inMemory;
  }

  /** What the loader did to the values, for the dataset's notes. */
  get note(): string {
    const h = this.array.header;
    const how = h.dtype === 'uint8' ? 'uint8 scaled to [0, 1]' : `${h.dtype} used as they are`;
    return `${this.name}: [${h.shape.join(', ')}] ${how}${this.array.inMemory ? '' : ', read from the file a batch at a time'}`;
  }

  /** Decodes every row once (in steps) so a NaN/Inf is reported at open time. Integer arrays cannot hold one. */
  async checkFinite(): Promise<void> {
    if (!this.array.header.dtype.startsWith('float')) return;
    for (let start = 0; start < this.size; start += CHECK_ROWS) {
      const indices = Int32Array.from({ length: Math.min(CHECK_ROWS, this.size - start) }, (_, k) => start + k);
      await this.read(indices);
    }
  }

  async read(indices: Int32Array, signal?: AbortSignal): Promise<Tensor<'float32'>> {
    signal?.throwIfAborted();
    const row = this.array.rowElements;
    const out = new Float32Array(indices.length * row);
    await this.array.readRows(indices, out, this.divisor);
    this.assertFinite(out, indices);
    this.normalise?.(out);
    return new Tensor('float32', [indices.length, ...this.exampleShape], out, `${this.name}.x`);
  }

  private assertFinite(values: Float32Array, indices: Int32Array): void {
    const row = this.array.rowElements;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v - v !== 0) {
        const k = Math.floor(i / row);
        const where: DataLocation = { ...this.array.where, row: indices[k]!, column: i - k * row };
        throw new DataError('non-finite', where, `feature is ${v}, expected a finite number`);
      }
    }
  }

  async close(): Promise<void> {
    await this.array.close();
  }
}
