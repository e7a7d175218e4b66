import { Dataset, type DatasetSplits } from '@shrinkray/tensor-core';
import { imagesToFloat } from './dataset.js';
import { DatasetFormatError } from './errors/dataset-format-error.js';
import { type IdxArray, readIdx } from './idx.js';

/** Options for {@link loadIdxPair} and {@link loadIdxDatasets}. */
export interface IdxDatasetOptions {
  /** Dataset name for messages. @defaultValue the images file's path */
  name?: string;
  /** Number of classes. @defaultValue largest label + 1 (over both splits for `loadIdxDatasets`) */
  numClasses?: number;
  /** Display names of the classes. @defaultValue `'0'`, `'1'`, … */
  classNames?: readonly string[];
  /** Largest payload per file in bytes, see `IdxReadOptions.maxBytes`. */
  maxBytes?: number;
}

/** Paths of the four IDX files of a train/test pair (each plain or gzipped). */
export interface IdxFiles {
  trainImages: string;
  trainLabels: string;
  testImages: string;
  testLabels: string;
}

interface RawPair {
  images: IdxArray;
  labels: Int32Array;
  imagesPath: string;
}

async function readPair(imagesPath: string, labelsPath: string, maxBytes: number | undefined): Promise<RawPair> {
  const opts = maxBytes === undefined ? {} : { maxBytes };
  const [images, labels] = await Promise.all([readIdx(imagesPath, opts), readIdx(labelsPath, opts)]);
  if (images.dtype !== 'uint8' || images.shape.length !== 3) {
    throw new DatasetFormatError({
      file: imagesPath,
      expected: 'images as 3-D uint8 IDX [N, height, width] (type 0x08, 3 dimensions)',
      found: `${images.dtype} [${images.shape.join(',')}]`,
    });
  }
  if (labels.shape.length !== 1 || labels.dtype === 'float32' || labels.dtype === 'float64') {
    throw new DatasetFormatError({
      file: labelsPath,
      expected: 'labels as 1-D integer IDX [N]',
      found: `${labels.dtype} [${labels.shape.join(',')}]`,
    });
  }
  const n = images.shape[0]!;
  if (labels.shape[0] !== n) {
    throw new DatasetFormatError({
      file: labelsPath,
      expected: `${n} labels, one per image in ${imagesPath}`,
      found: `${labels.shape[0]} labels`,
    });
  }
  const y = Int32Array.from(labels.data as ArrayLike<number>);
  for (let i = 0; i < y.length; i++) {
    if (y[i]! < 0) {
      throw new DatasetFormatError({ file: labelsPath, expected: 'non-negative class labels', found: `label ${i} = ${y[i]}` });
    }
  }
  return { images, labels: y, imagesPath };
}

function maxLabel(labels: Int32Array): number {
  let m = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > m) m = labels[i]!;
  return m;
}

function toDataset(raw: RawPair, name: string, numClasses: number, classNames: readonly string[] | undefined, labelsPath: string): Dataset {
  const top = maxLabel(raw.labels);
  if (top >= numClasses) {
    throw new DatasetFormatError({ file: labelsPath, expected: `labels in [0, ${numClasses})`, found: `label ${top}` });
  }
  return Dataset.fromArrays(imagesToFloat(raw.images.data as Uint8Array, raw.images.shape), raw.labels, {
    name,
    numClasses,
    ...(classNames === undefined ? {} : { classNames }),
  });
}

/**
 * Loads one IDX images + labels pair as a {@link Dataset}: images must be 3-D uint8 `[N, H, W]`
 * (they become float32 `[N, H, W, 1]` in [0, 1]), labels 1-D integers `[N]`.
 *
 * @throws DatasetFormatError naming the file when a file is malformed or the counts differ.
 *
 * @example
 * const test = await loadIdxPair('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', { numClasses: 10 });
 */
export async function loadIdxPair(imagesPath: string, labelsPath: string, options: IdxDatasetOptions = {}): Promise<Dataset> {
  const raw = await readPair(imagesPath, labelsPath, options.maxBytes);
  const numClasses = options.numClasses ?? options.classNames?.length ?? Math.max(1, maxLabel(raw.labels) + 1);
  return toDataset(raw, options.name ?? imagesPath, numClasses, options.classNames, labelsPath);
}

/**
 * Loads a train and a test IDX pair (the layout of MNIST-style datasets) as `{ train, test }`.
 * Both splits must have the same image size; `numClasses` defaults to the largest label of either
 * split + 1, so both splits agree.
 *
 * @example
 * const { train, test } = await loadIdxDatasets({
 *   trainImages: 'train-images-idx3-ubyte', trainLabels: 'train-labels-idx1-ubyte',
 *   testImages: 't10k-images-idx3-ubyte', testLabels: 't10k-labels-idx1-ubyte',
 * });
 */
export async function loadIdxDatasets(files: IdxFiles, options: IdxDatasetOptions = {}): Promise<DatasetSplits> {
  const [train, test] = await Promise.all([
    readPair(files.trainImages, files.trainLabels, options.maxBytes),
    readPair(files.testImages, files.testLabels, options.maxBytes),
  ]);
  const [, th, tw] = train.images.shape;
  const [, sh, sw] = test.images.shape;
  if (th !== sh || tw !== sw) {
    throw new DatasetFormatError({
      file: files.testImages,
      expected: `${th}x${tw} images like ${files.trainImages}`,
      found: `${sh}x${sw}`,
    });
  }
  const numClasses =
    options.numClasses ?? options.classNames?.length ?? Math.max(1, maxLabel(train.labels) + 1, maxLabel(test.labels) + 1);
  const name = options.name ?? 'idx';
  return {
    train: toDataset(train, `${name}/train`, numClasses, options.classNames, files.trainLabels),
    test: toDataset(test, `${name}/test`, numClasses, options.classNames, files.testLabels),
  };
}
