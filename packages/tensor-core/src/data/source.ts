import { DataError } from '../errors/data-error.js';
import { sizeOf, Tensor } from '../tensor.js';

/** The dtypes a dataset's examples come in: float features/pixels, or integer token ids. */
export type ExampleDType = 'float32' | 'int32';

/**
 * What a data format implements: random access to examples by index. A source may hold everything
 * in memory or read (decode) examples on demand; `Dataset` adds labels, batching, shuffling and views.
 */
export interface ExampleSource<D extends ExampleDType = ExampleDType> {
  /** A short name for messages, usually the file or folder. */
  readonly name: string;
  /** Number of examples. */
  readonly size: number;
  /** Shape of one example, e.g. `[28, 28, 1]` (NHWC), `[784]`, or `[128]` token ids. */
  readonly exampleShape: readonly number[];
  readonly dtype: D;
  /** True when every example is held in memory (reads are cheap copies). */
  readonly inMemory: boolean;
  /**
   * The examples at `indices`, in that order, as `[indices.length, ...exampleShape]`. A source that
   * reads files throws `DataError` naming the file on a bad value.
   */
  read(indices: Int32Array, signal?: AbortSignal): Promise<Tensor<D>>;
  /** Releases files or workers; the source is not read after this. */
  close?(): void | Promise<void>;
}

/** Throws `DataError` ('non-finite') at the first NaN or ±Inf in `values`, naming row and column. */
export function assertFinite(values: Float32Array, rowSize: number, source: string, rowOf: (i: number) => number = (i) => i): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) {
      const local = Math.floor(i / rowSize);
      throw new DataError('non-finite', { source, row: rowOf(local), column: i - local * rowSize }, `feature is ${v}, expected a finite number`);
    }
  }
}

/**
 * Examples already in memory (`x` is `[N, ...exampleShape]`). Values are checked finite once, here.
 *
 * @throws DataError naming the row and column of a NaN or ±Inf.
 */
export class ArraySource<D extends ExampleDType = ExampleDType> implements ExampleSource<D> {
  readonly name: string;
  readonly size: number;
  readonly exampleShape: readonly number[];
  readonly dtype: D;
  readonly inMemory = true;
  readonly x: Tensor<D>;
  private readonly rowSize: number;

  constructor(x: Tensor<D>, name = 'data') {
    if (x.rank < 1) throw new DataError('unsupported', { source: name }, `examples need a batch axis, found a scalar`);
    this.x = x;
    this.name = name;
    this.dtype = x.dtype;
    this.size = x.shape[0]!;
    this.exampleShape = Object.freeze(x.shape.slice(1));
    this.rowSize = sizeOf(this.exampleShape);
    if (x.dtype === 'float32') assertFinite(x.data as Float32Array, this.rowSize, name);
  }

  async read(indices: Int32Array): Promise<Tensor<D>> {
    return this.readSync(indices);
  }

  /** The rows at `indices`, copied, without a promise (in-memory sources only). */
  readSync(indices: Int32Array): Tensor<D> {
    const row = this.rowSize;
    const src = this.x.data;
    const out = new (src.constructor as new (n: number) => typeof src)(indices.length * row);
    let contiguous = true;
    for (let i = 1; i < indices.length && contiguous; i++) contiguous = indices[i] === indices[i - 1]! + 1;
    if (contiguous && indices.length > 0) {
      const start = indices[0]!;
      this.checkIndex(start);
      this.checkIndex(indices[indices.length - 1]!);
      out.set(src.subarray(start * row, (start + indices.length) * row));
    } else {
      for (let i = 0; i < indices.length; i++) {
        const j = indices[i]!;
        this.checkIndex(j);
        out.set(src.subarray(j * row, (j + 1) * row), i * row);
      }
    }
    return new Tensor(this.dtype, [indices.length, ...this.exampleShape], out as Tensor<D>['data'], `${this.name}.x`);
  }

  private checkIndex(j: number): void {
    if (!Number.isInteger(j) || j < 0 || j >= this.size) {
      throw new DataError('unsupported', { source: this.name, row: j }, `index outside [0, ${this.size})`);
    }
  }
}
