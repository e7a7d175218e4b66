import { ConfigError } from '../errors/config-error.js';
import { DataError } from '../errors/data-error.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { ArraySource, type ExampleDType, type ExampleSource } from './source.js';

/** The label of an example that has none (a transfer-set row for distillation). */
export const UNLABELLED = -1;

/** One mini-batch. */
export interface Batch<D extends ExampleDType = ExampleDType> {
  /** `[b, ...exampleShape]`. */
  readonly x: Tensor<D>;
  /** One label per row, `UNLABELLED` (-1) where a row has none. */
  readonly y: Int32Array;
  /** Positions of the batch's examples in this dataset (for per-example caches such as teacher logits). */
  readonly indices: Int32Array;
}

/** Options of `Dataset.batches`. */
export interface BatchOptions {
  batchSize: number;
  /** Shuffle with this seed; in dataset order when absent. */
  seed?: number;
  /** Batches read ahead while the consumer works on the current one. Default 1. */
  prefetch?: number;
  /** Stops between batches: the iterator rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * A labelled (or partly unlabelled) set of examples: the one data type every shrinkray driver takes.
 * Labels are always in memory (one int32 each); examples are read on demand, a batch at a time, from
 * an `ExampleSource` that may hold them in memory or decode them from files.
 *
 * @example
 * const ds = Dataset.fromArrays(x, y, { classNames: ['cat', 'dog'] });
 * for await (const { x, y } of ds.batches({ batchSize: 64, seed: 1 })) { ... }
 */
export interface Dataset<D extends ExampleDType = ExampleDType> {
  /** A short name for messages and reports, e.g. `photos/train`. */
  readonly name: string;
  /** Number of examples. */
  readonly size: number;
  /** Shape of one example (NHWC for images), e.g. `[28, 28, 1]`. */
  readonly exampleShape: readonly number[];
  readonly dtype: D;
  readonly numClasses: number;
  /** One display name per class, in class-index order. */
  readonly classNames: readonly string[];
  /** One label per example, `UNLABELLED` where an example has none. */
  readonly labels: Int32Array;
  /** True when every example has a label. */
  readonly labelled: boolean;
  /** True when every example is held in memory. */
  readonly inMemory: boolean;
  /** What was done to the data on the way in (e.g. "resized 312 images to 28x28"), for reports. */
  readonly notes: readonly string[];
  /** Every example once per iteration, in batches of `batchSize` (the last may be smaller). */
  batches(options: BatchOptions): AsyncIterable<Batch<D>>;
  /** The examples at `indices`, in that order. */
  read(indices: ArrayLike<number>, signal?: AbortSignal): Promise<Tensor<D>>;
  /** A view of the examples at `indices` (no example is read or copied). */
  subset(indices: ArrayLike<number>, name?: string): Dataset<D>;
  /** The same examples with other labels (e.g. all `UNLABELLED` for a transfer set). */
  withLabels(labels: Int32Array, name?: string): Dataset<D>;
  /** Releases the source's files or workers. */
  close(): Promise<void>;
}

/** True when `value` is a Dataset (checked by shape, so datasets of another installed copy count too). */
export function isDataset(value: unknown): value is Dataset {
  return typeof value === 'object' && value !== null && typeof (value as Dataset).batches === 'function' && (value as Dataset).labels instanceof Int32Array;
}

/**
 * Checks that a driver option holds a non-empty Dataset and returns it.
 *
 * @throws ConfigError naming the option.
 */
export function checkDatasetOption(value: unknown, option: string): Dataset {
  if (!isDataset(value)) throw new ConfigError(option, 'must be a Dataset (openData(...) or Dataset.fromArrays(x, y))');
  if (value.size === 0) throw new ConfigError(option, `is empty (0 examples in ${value.name})`);
  return value;
}

/** Options shared by the dataset constructors. */
export interface DatasetOptions {
  name?: string;
  /** Default: the largest label + 1. */
  numClasses?: number;
  /** Default: `"0"`, `"1"`, … */
  classNames?: readonly string[];
  notes?: readonly string[];
}

/** Checks labels: integers in `[0, numClasses)` or `UNLABELLED`, one per example. */
export function checkDatasetLabels(labels: Int32Array, size: number, numClasses: number, source: string): void {
  if (labels.length !== size) {
    throw new DataError('length-mismatch', { source }, `${size} examples but ${labels.length} labels`);
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y !== UNLABELLED && (y < 0 || y >= numClasses)) {
      throw new DataError('label-out-of-range', { source, row: i }, `label ${y} is outside [0, ${numClasses})`);
    }
  }
}

function defaultNumClasses(labels: Int32Array): number {
  let max = -1;
  for (const y of labels) if (y > max) max = y;
  return Math.max(1, max + 1);
}

function toIndices(indices: ArrayLike<number>, size: number, source: string): Int32Array {
  const out = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    if (!Number.isInteger(j) || j < 0 || j >= size) {
      throw new DataError('unsupported', { source, row: j }, `index ${i} is ${j}, outside [0, ${size})`);
    }
    out[i] = j;
  }
  return out;
}

/** The `Dataset` over an `ExampleSource`, optionally seen through an index map (a view). */
class SourceDataset<D extends ExampleDType> implements Dataset<D> {
  readonly name: string;
  readonly size: number;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly labels: Int32Array;
  readonly labelled: boolean;
  readonly notes: readonly string[];

  constructor(
    private readonly source: ExampleSource<D>,
    labels: Int32Array,
    meta: { name: string; numClasses: number; classNames: readonly string[]; notes: readonly string[] },
    /** Source index of each of this dataset's examples; `null` = identity. */
    private readonly map: Int32Array | null,
  ) {
    this.name = meta.name;
    this.size = map ? map.length : source.size;
    this.numClasses = meta.numClasses;
    if (!Number.isInteger(this.numClasses) || this.numClasses < 1) {
      throw new DataError('classes-mismatch', { source: this.name }, `number of classes must be a positive integer, got ${this.numClasses}`);
    }
    if (meta.classNames.length !== this.numClasses) {
      throw new DataError('classes-mismatch', { source: this.name }, `${this.numClasses} classes but ${meta.classNames.length} class names`);
    }
    checkDatasetLabels(labels, this.size, this.numClasses, this.name);
    this.labels = labels;
    this.labelled = labels.every((y) => y !== UNLABELLED);
    this.classNames = Object.freeze([...meta.classNames]);
    this.notes = Object.freeze([...meta.notes]);
  }

  get exampleShape(): readonly number[] {
    return this.source.exampleShape;
  }

  get dtype(): D {
    return this.source.dtype;
  }

  get inMemory(): boolean {
    return this.source.inMemory;
  }

  private meta(name: string) {
    return { name, numClasses: this.numClasses, classNames: this.classNames, notes: this.notes };
  }

  private sourceIndices(indices: Int32Array): Int32Array {
    if (!this.map) return indices;
    const out = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = this.map[indices[i]!]!;
    return out;
  }

  read(indices: ArrayLike<number>, signal?: AbortSignal): Promise<Tensor<D>> {
    return this.source.read(this.sourceIndices(toIndices(indices, this.size, this.name)), signal);
  }

  subset(indices: ArrayLike<number>, name = this.name): Dataset<D> {
    const local = toIndices(indices, this.size, this.name);
    const labels = new Int32Array(local.length);
    for (let i = 0; i < local.length; i++) labels[i] = this.labels[local[i]!]!;
    return new SourceDataset(this.source, labels, this.meta(name), this.sourceIndices(local));
  }

  withLabels(labels: Int32Array, name = this.name): Dataset<D> {
    return new SourceDataset(this.source, labels, this.meta(name), this.map);
  }

  async *batches(options: BatchOptions): AsyncIterable<Batch<D>> {
    const { batchSize, seed, signal } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new DataError('unsupported', { source: this.name }, `batch size must be a positive integer, got ${batchSize}`);
    }
    const order = seed === undefined ? Int32Array.from({ length: this.size }, (_, i) => i) : new Rng(seed).permutation(this.size);
    const prefetch = Math.max(0, options.prefetch ?? 1);
    const starts: number[] = [];
    for (let s = 0; s < this.size; s += batchSize) starts.push(s);
    const load = (start: number): { indices: Int32Array; x: Promise<Tensor<D>> } => {
      const indices = order.subarray(start, Math.min(this.size, start + batchSize));
      const x = this.source.read(this.sourceIndices(indices), signal);
      // A read that fails while an earlier batch is being consumed is reported when its turn comes.
      x.catch(() => undefined);
      return { indices, x };
    };
    const pending: { indices: Int32Array; x: Promise<Tensor<D>> }[] = [];
    let next = 0;
    while (next < starts.length || pending.length > 0) {
      while (next < starts.length && pending.length <= prefetch) pending.push(load(starts[next++]!));
      const item = pending.shift()!;
      signal?.throwIfAborted();
      const x = await item.x;
      const y = new Int32Array(item.indices.length);
      for (let i = 0; i < y.length; i++) y[i] = this.labels[item.indices[i]!]!;
      yield { x, y, indices: Int32Array.from(item.indices) };
    }
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }
}

/** Builds a dataset over any example source (a data format's reader). */
function fromSource<D extends ExampleDType>(source: ExampleSource<D>, labels: Int32Array, options: DatasetOptions = {}): Dataset<D> {
  const name = options.name ?? source.name;
  const numClasses = options.numClasses ?? options.classNames?.length ?? defaultNumClasses(labels);
  const classNames = options.classNames ?? Array.from({ length: numClasses }, (_, i) => String(i));
  return new SourceDataset(source, labels, { name, numClasses, classNames, notes: options.notes ?? [] }, null);
}

/**
 * A dataset over arrays already in memory: `x` is `[N, ...exampleShape]` (float32 features or
 * int32 token ids), `y` one label per row (`UNLABELLED` for none).
 *
 * @throws DataError naming the row of a NaN/Inf feature, a label out of range, or a length mismatch.
 */
function fromArrays<D extends ExampleDType>(x: Tensor<D>, y: Int32Array, options: DatasetOptions = {}): Dataset<D> {
  const name = options.name ?? 'data';
  if ((x.shape[0] ?? 0) !== y.length) {
    throw new DataError('length-mismatch', { source: name }, `x has ${x.shape[0] ?? 0} rows but y has ${y.length} labels`);
  }
  return fromSource(new ArraySource(x, name), y, { ...options, name });
}

/** Constructors of `Dataset`. */
export const Dataset = Object.freeze({ fromArrays, fromSource });

/** A training and a test split (and a validation split where the data has one). */
export interface DatasetSplits<D extends ExampleDType = ExampleDType> {
  readonly train: Dataset<D>;
  readonly test: Dataset<D>;
  readonly validation?: Dataset<D>;
}

/**
 * How many of each class's examples go to the held-out side: `round(fraction·N)` in total, shared out
 * in proportion to the class counts by the largest-remainder method (ties to the lower class).
 */
export function stratifiedCounts(counts: ArrayLike<number>, fraction: number): Int32Array {
  let total = 0;
  for (let c = 0; c < counts.length; c++) total += counts[c]!;
  const target = Math.round(total * fraction);
  const out = new Int32Array(counts.length);
  const remainders: { c: number; r: number }[] = [];
  let given = 0;
  for (let c = 0; c < counts.length; c++) {
    const exact = counts[c]! * fraction;
    out[c] = Math.floor(exact);
    given += out[c]!;
    remainders.push({ c, r: exact - out[c]! });
  }
  remainders.sort((a, b) => b.r - a.r || a.c - b.c);
  for (let k = 0; given < target && k < remainders.length; k++) {
    const { c } = remainders[k]!;
    if (out[c]! < counts[c]!) {
      out[c]!++;
      given++;
    }
  }
  return out;
}

/**
 * Splits a dataset into two views, stratified by label (unlabelled rows count as one more class):
 * `round(fraction·N)` examples go to `second`, each class contributing in proportion to its size
 * (`stratifiedCounts`), chosen with `seed`. `firstIndices`/`secondIndices` are
 * the views' positions in `ds` (ascending), e.g. to take the same rows of a per-example array.
 */
export function stratifiedSplit<D extends ExampleDType>(
  ds: Dataset<D>,
  fraction: number,
  seed: number,
  names?: [string, string],
): { first: Dataset<D>; second: Dataset<D>; firstIndices: Int32Array; secondIndices: Int32Array } {
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new DataError('unsupported', { source: ds.name }, `split fraction must be in [0, 1], got ${fraction}`);
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < ds.size; i++) {
    const y = ds.labels[i]!;
    const list = byClass.get(y);
    if (list) list.push(i);
    else byClass.set(y, [i]);
  }
  const rng = new Rng(seed);
  const first: number[] = [];
  const second: number[] = [];
  const keys = [...byClass.keys()].sort((a, b) => a - b);
  const held = stratifiedCounts(keys.map((y) => byClass.get(y)!.length), fraction);
  for (const [c, y] of keys.entries()) {
    const members = rng.shuffle(byClass.get(y)!);
    const k = held[c]!;
    second.push(...members.slice(0, k));
    first.push(...members.slice(k));
  }
  first.sort((a, b) => a - b);
  second.sort((a, b) => a - b);
  return { first: ds.subset(first, names?.[0]), second: ds.subset(second, names?.[1]), firstIndices: Int32Array.from(first), secondIndices: Int32Array.from(second) };
}
