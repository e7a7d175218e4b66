import { DataError, Dataset, type DatasetSplits, stratifiedSplit } from '@shrinkray/tensor-core';
import { exampleShapeOf, NpyExampleSource } from './array-source.js';
import { isTokenIdArray, NpyIdSource } from './npy-id-source.js';
import type { OpenDataOptions } from '../formats.js';
import { classesForIndices, integerLabels } from './labels.js';
import type { NpyArray } from './npy-array.js';
import { channelNormaliser } from './normalise.js';

/** The x and y arrays of one split. */
export interface ArrayPair {
  /** The split's dataset name, e.g. `fashion.npz/train`. */
  name: string;
  x: NpyArray;
  y: NpyArray;
}

function describe(a: NpyArray): string {
  return a.where.entry === undefined ? a.where.source : `${a.where.source} (${a.where.entry})`;
}

/** Labels of a y array: 1-D (or `[N, 1]`) integers, bools, or floats holding integers. */
async function labelsOf(y: NpyArray): Promise<Int32Array> {
  const shape = y.header.shape;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
    throw new DataError('unsupported', y.where, `labels must be a 1-D array of class indices, found shape [${shape.join(', ')}]`);
  }
  return integerLabels(await y.readAll(), y.where);
}

/**
 * Datasets over `.npy` arrays: the first pair is the training split, the second the test split and
 * the third (if any) validation. With one pair only, a seeded stratified split holds out
 * `testFraction` as the test split. All splits share one class count (the largest label + 1, or
 * `classes`). Rank-2 int32/int64 x arrays are token ids (`Dataset<'int32'>`, see `NpyIdSource`);
 * every other x array is float features.
 *
 * @throws DataError when x and y differ in length, labels are not class indices, example shapes
 *   differ between splits, splits mix token ids and features, token ids get a normalisation or are
 *   out of int32 range, or an in-memory array holds NaN/Inf.
 */
export async function arraySplits(pairs: readonly ArrayPair[], options: OpenDataOptions): Promise<DatasetSplits> {
  const labels: Int32Array[] = [];
  const shape0 = pairs[0]!.x.header.shape.slice(1).join(',');
  for (const { x, y } of pairs) {
    if (x.rows !== y.rows) {
      throw new DataError('length-mismatch', x.where, `x has ${x.rows} rows but ${describe(y)} has ${y.rows} labels`);
    }
    if (x.header.shape.slice(1).join(',') !== shape0) {
      throw new DataError('unsupported', x.where, `examples of shape [${x.header.shape.slice(1).join(', ')}] differ from the training split's [${shape0.split(',').join(', ')}]`);
    }
    labels.push(await labelsOf(y));
  }
  const { numClasses, classNames } = classesForIndices(labels, options.classes);
  const ids = isTokenIdArray(pairs[0]!.x);
  for (const { x } of pairs) {
    if (isTokenIdArray(x) !== ids) throw new DataError('unsupported', x.where, `a ${x.header.dtype} array in a split whose training x is ${ids ? 'token ids' : 'features'}: splits must agree`);
  }
  if (ids && (options.mean !== undefined || options.std !== undefined)) {
    throw new DataError('unsupported', pairs[0]!.x.where, 'token ids (a [N, L] int32/int64 array) take no mean/std normalisation');
  }
  const datasets: Dataset[] = [];
  for (const [i, { name, x }] of pairs.entries()) {
    if (ids) {
      const source = new NpyIdSource(name, x);
      if (source.inMemory) await source.checkRange();
      datasets.push(Dataset.fromSource(source, labels[i]!, { name, numClasses, classNames, notes: [source.note] }));
      continue;
    }
    const channels = exampleShapeOf(x.header.shape).at(-1)!;
    const source = new NpyExampleSource(name, x, channelNormaliser(options.mean, options.std, channels, name));
    if (source.inMemory) await source.checkFinite();
    datasets.push(Dataset.fromSource(source, labels[i]!, { name, numClasses, classNames, notes: [source.note] }));
  }
  if (datasets.length === 1) {
    const { first, second } = stratifiedSplit(datasets[0]!, options.testFraction ?? 0.2, options.seed ?? 0, [`${pairs[0]!.name}`, `${pairs[0]!.name} (held out)`]);
    return { train: first, test: second };
  }
  return { train: datasets[0]!, test: datasets[1]!, ...(datasets[2] ? { validation: datasets[2] } : {}) };
}
