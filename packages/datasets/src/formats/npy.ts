import { DataError, type DatasetSplits } from '@shrinkray/tensor-core';
import type { DataFormat, OpenDataOptions } from '../formats.js';
import { type ArrayPair, arraySplits } from './array-splits.js';
import { NpyArray } from './npy-array.js';

/**
 * Opens `npy:X_TRAIN,Y_TRAIN,X_TEST,Y_TEST` (or `npy:X,Y`, with a seeded stratified test split).
 * Large C-order arrays are read from their files a batch at a time.
 */
export async function openNpy(argument: string, options: OpenDataOptions): Promise<DatasetSplits> {
  const files = argument.split(',').map((f) => f.trim());
  if (!(files.length === 2 || files.length === 4) || files.some((f) => f === '')) {
    throw new DataError('unsupported', { source: `npy:${argument}` }, 'expected npy:X_TRAIN,Y_TRAIN,X_TEST,Y_TEST (or npy:X,Y for a seeded split)');
  }
  const arrays: NpyArray[] = [];
  try {
    for (const file of files) arrays.push(await NpyArray.openFile(file));
    const pairs: ArrayPair[] = [{ name: `${files[0]}`, x: arrays[0]!, y: arrays[1]! }];
    if (arrays.length === 4) pairs.push({ name: `${files[2]}`, x: arrays[2]!, y: arrays[3]! });
    // Labels are read into memory by arraySplits; their files can close now.
    const splits = await arraySplits(pairs, options);
    await Promise.all([arrays[1]!.close(), arrays[3]?.close()]);
    return splits;
  } catch (error) {
    await Promise.all(arrays.map((a) => a.close().catch(() => undefined)));
    throw error;
  }
}

/** The `npy:` data format. */
export const npyFormat: DataFormat = Object.freeze({
  name: 'npy',
  forms: ['npy:X_TRAIN,Y_TRAIN,X_TEST,Y_TEST', 'npy:X,Y'],
  open: openNpy,
});
