import { ConfigError } from '@shrinkray/tensor-core';
import { DEFAULT_FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.js';
import type { DataFormat } from './formats.js';
import { loadIdxDatasets } from './idx-dataset.js';
import { loadMnist } from './mnist.js';

const IDX_FORM = 'idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS';

function openIdx(argument: string): ReturnType<typeof loadIdxDatasets> {
  const paths = argument.split(',');
  if (paths.length !== 4 || paths.some((p) => p === '')) {
    const found = paths.filter((p) => p !== '').length;
    throw new ConfigError('data', `expected 4 comma-separated non-empty paths after "idx:", found ${found} in "idx:${argument}"; the form is ${IDX_FORM}`);
  }
  const [trainImages, trainLabels, testImages, testLabels] = paths as [string, string, string, string];
  return loadIdxDatasets({ trainImages, trainLabels, testImages, testLabels });
}

/** The IDX-based forms (`mnist`, `fashion-mnist[:DIR]`, `idx:…`), as `Dataset`s held in memory. */
export const idxFormats: readonly DataFormat[] = Object.freeze([
  {
    name: 'mnist',
    forms: ['mnist'],
    open: (argument: string) => {
      if (argument !== '') throw new ConfigError('data', `"mnist" takes no argument, found "mnist:${argument}" (the embedded digits)`);
      return loadMnist();
    },
  },
  {
    name: 'fashion-mnist',
    forms: ['fashion-mnist', 'fashion-mnist:DIR'],
    open: (dir: string) => loadFashionMnist(dir === '' ? DEFAULT_FASHION_MNIST_DIR : dir),
  },
  { name: 'idx', forms: [IDX_FORM], open: openIdx },
]);
