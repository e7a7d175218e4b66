import { Dataset, type DatasetSplits } from '@shrinkray/tensor-core';
import type { DatasetSplits as ArraySplits } from './dataset.js';
import type { DataFormat } from './formats.js';
import { loadData } from './spec.js';

function toDatasets(splits: ArraySplits): DatasetSplits<'float32'> {
  const wrap = (d: ArraySplits['train']) => Dataset.fromArrays(d.x, d.y, { name: d.name, numClasses: d.numClasses, classNames: d.classNames });
  return { train: wrap(splits.train), test: wrap(splits.test) };
}

/** The IDX-based forms (`mnist`, `fashion-mnist[:DIR]`, `idx:…`), as `Dataset`s held in memory. */
export const idxFormats: readonly DataFormat[] = Object.freeze([
  { name: 'mnist', forms: ['mnist'], open: async () => toDatasets(await loadData('mnist')) },
  {
    name: 'fashion-mnist',
    forms: ['fashion-mnist', 'fashion-mnist:DIR'],
    open: async (dir: string) => toDatasets(await loadData(dir === '' ? 'fashion-mnist' : `fashion-mnist:${dir}`)),
  },
  { name: 'idx', forms: ['idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS'], open: async (arg: string) => toDatasets(await loadData(`idx:${arg}`)) },
]);
