import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetSplits } from '@shrinkray/tensor-core';
import { DatasetNotFoundError } from './errors/dataset-not-found-error.js';
import { loadIdxDatasets } from './idx-dataset.js';

/** Where Debian's `dataset-fashion-mnist` package installs the files. */
export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST's ten classes, in label order. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

const HINT = `install it with \`apt-get install dataset-fashion-mnist\` (Debian) or pass the directory holding the four IDX files (e.g. --data fashion-mnist:DIR)`;

function findFile(dir: string, stem: string): string {
  for (const candidate of [`${stem}.gz`, stem]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  throw new DatasetNotFoundError({ path: join(dir, stem), what: `Fashion-MNIST file ${stem}(.gz)`, hint: HINT });
}

/**
 * Loads Fashion-MNIST (Zalando; 60,000 training and 10,000 test 28x28 greyscale images of clothing,
 * ten classes) from a directory of the four original IDX files, gzipped (as Debian's
 * `dataset-fashion-mnist` ships them: `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
 * `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`) or not. The train/test split is the
 * dataset's own.
 *
 * @throws DatasetNotFoundError if the directory or a file is missing (with how to install it).
 * @throws DatasetFormatError if a file is malformed.
 *
 * @example
 * const { train, test } = await loadFashionMnist();
 * train.x.shape; // [60000, 28, 28, 1]
 */
export async function loadFashionMnist(dir: string = DEFAULT_FASHION_MNIST_DIR): Promise<DatasetSplits> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DatasetNotFoundError({ path: dir, what: 'Fashion-MNIST directory', hint: HINT });
  }
  return loadIdxDatasets(
    {
      trainImages: findFile(dir, 'train-images-idx3-ubyte'),
      trainLabels: findFile(dir, 'train-labels-idx1-ubyte'),
      testImages: findFile(dir, 't10k-images-idx3-ubyte'),
      testLabels: findFile(dir, 't10k-labels-idx1-ubyte'),
    },
    { name: 'fashion-mnist', numClasses: 10, classNames: FASHION_MNIST_CLASSES },
  );
}
