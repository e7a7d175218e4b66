import { ConfigError, type DatasetSplits } from '@shrinkray/tensor-core';
import { DEFAULT_FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.js';
import { type IdxFiles, loadIdxDatasets } from './idx-dataset.js';
import { loadMnist } from './mnist.js';

/** A parsed `--data` value. */
export type DataSpec =
  | { kind: 'mnist' }
  | { kind: 'fashion-mnist'; dir: string }
  | ({ kind: 'idx' } & IdxFiles);

/** The `--data` forms {@link parseDataSpec} accepts, for help texts and messages. */
export const DATA_SPEC_FORMS: readonly string[] = Object.freeze([
  'mnist',
  'fashion-mnist',
  'fashion-mnist:DIR',
  'idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS',
]);

function bad(spec: string, why: string): ConfigError {
  return new ConfigError('data', `${why} in "${spec}"; accepted forms: ${DATA_SPEC_FORMS.join(', ')}`);
}

/**
 * Parses a CLI `--data` value: `mnist`, `fashion-mnist` (default directory
 * `/usr/share/datasets/fashion-mnist`), `fashion-mnist:DIR`, or
 * `idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS`.
 *
 * @throws ConfigError (option `data`) listing the accepted forms.
 */
export function parseDataSpec(spec: string): DataSpec {
  if (spec === 'mnist') return { kind: 'mnist' };
  if (spec === 'fashion-mnist') return { kind: 'fashion-mnist', dir: DEFAULT_FASHION_MNIST_DIR };
  if (spec.startsWith('fashion-mnist:')) {
    const dir = spec.slice('fashion-mnist:'.length);
    if (dir === '') throw bad(spec, 'empty directory');
    return { kind: 'fashion-mnist', dir };
  }
  if (spec.startsWith('idx:')) {
    const paths = spec.slice('idx:'.length).split(',');
    if (paths.length !== 4 || paths.some((p) => p === '')) {
      throw bad(spec, `expected 4 comma-separated non-empty paths after "idx:", found ${paths.filter((p) => p !== '').length}`);
    }
    const [trainImages, trainLabels, testImages, testLabels] = paths as [string, string, string, string];
    return { kind: 'idx', trainImages, trainLabels, testImages, testLabels };
  }
  throw bad(spec, 'unknown dataset');
}

/**
 * Loads the train and test splits a `--data` value names (see {@link parseDataSpec}).
 *
 * @example
 * const { train, test } = await loadData('fashion-mnist');
 */
export async function loadData(spec: string): Promise<DatasetSplits> {
  const parsed = parseDataSpec(spec);
  switch (parsed.kind) {
    case 'mnist':
      return loadMnist();
    case 'fashion-mnist':
      return loadFashionMnist(parsed.dir);
    case 'idx': {
      const { kind: _kind, ...files } = parsed;
      return loadIdxDatasets(files);
    }
  }
}
