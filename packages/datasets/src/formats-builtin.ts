import type { DataFormat } from './formats.js';
import { loadData } from './spec.js';

/** The IDX-based forms (`mnist`, `fashion-mnist[:DIR]`, `idx:…`), as `Dataset`s held in memory. */
export const idxFormats: readonly DataFormat[] = Object.freeze([
  { name: 'mnist', forms: ['mnist'], open: () => loadData('mnist') },
  {
    name: 'fashion-mnist',
    forms: ['fashion-mnist', 'fashion-mnist:DIR'],
    open: (dir: string) => loadData(dir === '' ? 'fashion-mnist' : `fashion-mnist:${dir}`),
  },
  { name: 'idx', forms: ['idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS'], open: (arg: string) => loadData(`idx:${arg}`) },
]);
