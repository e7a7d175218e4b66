import { ConfigError, Rng, ShapeMismatchError, Tensor, formatShape } from '@shrinkray/tensor-core';

/**
 * A labelled image-classification dataset held in memory.
 *
 * `x` is float32 NHWC, `[N, H, W, C]` (for MNIST and Fashion-MNIST `[N, 28, 28, 1]`) with pixel
 * values in [0, 1]; `y[i]` is the class index of example `i`, in `[0, numClasses)`.
 */
export interface Dataset {
  /** A short name for messages and reports, e.g. `mnist/train`. */
  readonly name: string;
  readonly x: Tensor<'float32'>;
  readonly y: Int32Array;
  readonly numClasses: number;
  /** One display name per class, `classNames.length === numClasses`. */
  readonly classNames: readonly string[];
}

/** A training and a test split. Accuracies are reported on `test`; nothing is fitted on it. */
export interface DatasetSplits {
  readonly train: Dataset;
  readonly test: Dataset;
}

/** One mini-batch from {@link batches}. */
export interface Batch {
  /** `[b, ...example shape]`. */
  readonly x: Tensor<'float32'>;
  readonly y: Int32Array;
  /** Positions of the batch's examples in the source dataset. */
  readonly indices: Int32Array;
}

/** Mean and standard deviation used by {@link normalise}. */
export interface NormalisationStats {
  readonly mean: number;
  readonly std: number;
}

function exampleSize(ds: Dataset): number {
  return sizeOfRest(ds.x.shape);
}

function sizeOfRest(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape.slice(1)) s *= d;
  return s;
}

/** Number of examples. */
export function size(ds: Dataset): number {
  return ds.x.shape[0] ?? 0;
}

/**
 * Builds a dataset after checking that `x` has one row per label, labels are integers in
 * `[0, numClasses)` and `classNames` has `numClasses` entries.
 *
 * @throws ShapeMismatchError / ConfigError naming the dataset.
 */
export function makeDataset(args: {
  name: string;
  x: Tensor<'float32'>;
  y: Int32Array;
  numClasses: number;
  classNames?: readonly string[];
}): Dataset {
  const { name, x, y, numClasses } = args;
  if (x.rank < 1 || x.shape[0] !== y.length) {
    throw new ShapeMismatchError({
      tensor: `${name}.x`,
      expected: `${y.length} rows (one per label)`,
      found: formatShape(x.shape),
    });
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new ConfigError('numClasses', `${name}: must be a positive integer, got ${numClasses}`);
  }
  for (let i = 0; i < y.length; i++) {
    const label = y[i]!;
    if (label < 0 || label >= numClasses) {
      throw new ConfigError('labels', `${name}: label ${i} is ${label}, expected an integer in [0, ${numClasses})`);
    }
  }
  const classNames = args.classNames ?? Array.from({ length: numClasses }, (_, i) => String(i));
  if (classNames.length !== numClasses) {
    throw new ConfigError('classNames', `${name}: expected ${numClasses} class names, got ${classNames.length}`);
  }
  return { name, x, y, numClasses, classNames: Object.freeze([...classNames]) };
}

/**
 * The examples at `indices`, in that order, copied into new memory (indices may repeat).
 *
 * @throws ConfigError if an index is not an integer in `[0, N)`.
 */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const n = size(ds);
  const row = exampleSize(ds);
  const x = new Float32Array(indices.length * row);
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    if (!Number.isInteger(j) || j < 0 || j >= n) {
      throw new ConfigError('indices', `${ds.name}: index ${i} is ${j}, expected an integer in [0, ${n})`);
    }
    x.set(ds.x.data.subarray(j * row, (j + 1) * row), i * row);
    y[i] = ds.y[j]!;
  }
  return {
    name,
    x: new Tensor('float32', [indices.length, ...ds.x.shape.slice(1)], x, `${name}.x`),
    y,
    numClasses: ds.numClasses,
    classNames: ds.classNames,
  };
}

/** The first `n` examples (all of them if `n >= N`), copied. */
export function take(ds: Dataset, n: number): Dataset {
  if (!Number.isInteger(n) || n < 0) throw new ConfigError('take', `${ds.name}: n must be a non-negative integer, got ${n}`);
  const count = Math.min(n, size(ds));
  return subset(ds, Int32Array.from({ length: count }, (_, i) => i));
}

/**
 * The examples in a seeded random order (Fisher–Yates with tensor-core's `Rng`); the same seed gives
 * the same order.
 */
export function shuffle(ds: Dataset, seed: number): Dataset {
  return subset(ds, new Rng(seed).permutation(size(ds)));
}

/** Number of examples of each class, `counts[c]` for `c` in `[0, numClasses)`. */
export function classCounts(ds: Dataset): Int32Array {
  const counts = new Int32Array(ds.numClasses);
  for (let i = 0; i < ds.y.length; i++) {
    const c = ds.y[i]!;
    if (c < 0 || c >= ds.numClasses) {
      throw new ConfigError('labels', `${ds.name}: label ${i} is ${c}, expected an integer in [0, ${ds.numClasses})`);
    }
    counts[c]!++;
  }
  return counts;
}

/**
 * How many of each class's examples go to the held-out side: `fraction·N` in total (rounded), shared
 * out in proportion to the class counts by the largest-remainder method (ties to the lower class).
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
 * Splits a dataset in two keeping class proportions: `validation` gets `round(fraction·N)` examples,
 * each class contributing in proportion to its size (largest-remainder rounding), chosen at random
 * with the seed; `train` gets the rest. Both keep the examples' original relative order.
 *
 * @example
 * const { train, validation } = stratifiedSplit(data.train, { fraction: 0.1, seed: 42 });
 */
export function stratifiedSplit(
  ds: Dataset,
  options: { fraction: number; seed: number },
): { train: Dataset; validation: Dataset } {
  const { fraction, seed } = options;
  if (!(fraction > 0 && fraction < 1)) {
    throw new ConfigError('fraction', `${ds.name}: must be in (0, 1), got ${fraction}`);
  }
  const counts = classCounts(ds);
  const held = stratifiedCounts(counts, fraction);
  const byClass: number[][] = Array.from({ length: ds.numClasses }, () => []);
  for (let i = 0; i < ds.y.length; i++) byClass[ds.y[i]!]!.push(i);
  const rng = new Rng(seed);
  const isHeld = new Uint8Array(ds.y.length);
  for (let c = 0; c < ds.numClasses; c++) {
    const members = rng.shuffle(byClass[c]!);
    for (let k = 0; k < held[c]!; k++) isHeld[members[k]!] = 1;
  }
  const trainIdx: number[] = [];
  const valIdx: number[] = [];
  for (let i = 0; i < isHeld.length; i++) (isHeld[i] ? valIdx : trainIdx).push(i);
  return { train: subset(ds, trainIdx), validation: subset(ds, valIdx, `${ds.name}/validation`) };
}

/**
 * Iterates over mini-batches of `batchSize` examples (the last one smaller unless `dropRemainder`).
 * Without a seed the examples come in order and batches share memory with `ds.x`; with a seed they
 * come in a seeded random order (copied).
 *
 * @example
 * for (const { x, y } of batches(train, 64, { seed: epoch })) { ... }
 */
export function* batches(
  ds: Dataset,
  batchSize: number,
  options: { seed?: number; dropRemainder?: boolean } = {},
): Generator<Batch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ConfigError('batchSize', `must be a positive integer, got ${batchSize}`);
  }
  const n = size(ds);
  const order = options.seed === undefined ? undefined : new Rng(options.seed).permutation(n);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    if (options.dropRemainder && end - start < batchSize) return;
    if (order === undefined) {
      yield {
        x: ds.x.sliceRows(start, end),
        y: ds.y.subarray(start, end),
        indices: Int32Array.from({ length: end - start }, (_, i) => start + i),
      };
    } else {
      const indices = order.slice(start, end);
      const part = subset(ds, indices);
      yield { x: part.x, y: part.y, indices };
    }
  }
}

/** The same dataset with each example flattened: `x` becomes `[N, H·W·C]` (shares memory). */
export function flatten(ds: Dataset): Dataset {
  return { ...ds, x: ds.x.reshape([size(ds), sizeOfRest(ds.x.shape)]) };
}

/**
 * Standardises pixel values to `(v − mean) / std`. Without `stats`, mean and (population) standard
 * deviation are measured over every element of `ds.x`; pass the training split's stats to transform
 * the test split the same way. Returns a new dataset and the stats used.
 *
 * @example
 * const { dataset: train, stats } = normalise(data.train);
 * const { dataset: test } = normalise(data.test, stats);
 */
export function normalise(ds: Dataset, stats?: NormalisationStats): { dataset: Dataset; stats: NormalisationStats } {
  const src = ds.x.data;
  let used = stats;
  if (used === undefined) {
    let sum = 0;
    for (let i = 0; i < src.length; i++) sum += src[i]!;
    const mean = src.length === 0 ? 0 : sum / src.length;
    let sq = 0;
    for (let i = 0; i < src.length; i++) sq += (src[i]! - mean) ** 2;
    const std = src.length === 0 ? 1 : Math.sqrt(sq / src.length);
    used = { mean, std };
  }
  if (!(used.std > 0) || !Number.isFinite(used.mean)) {
    throw new ConfigError('normalise', `${ds.name}: need a finite mean and a positive std, got mean ${used.mean}, std ${used.std}`);
  }
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = (src[i]! - used.mean) / used.std;
  return { dataset: { ...ds, x: new Tensor('float32', ds.x.shape, out, `${ds.name}.x`) }, stats: used };
}

/**
 * Converts uint8 images `[N, H, W]` or `[N, H, W, C]` to float32 NHWC in [0, 1] (divided by 255).
 */
export function imagesToFloat(bytes: Uint8Array, shape: readonly number[]): Tensor<'float32'> {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! / 255;
  const nhwc = shape.length === 3 ? [...shape, 1] : [...shape];
  return new Tensor('float32', nhwc, out);
}
