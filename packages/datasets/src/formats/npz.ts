import { open } from 'node:fs/promises';
import { DataError, type DatasetSplits } from '@shrinkray/tensor-core';
import type { DataFormat, OpenDataOptions } from '../formats.js';
import { type ArrayPair, arraySplits } from './array-splits.js';
import { NPY_IN_MEMORY_BYTES, NpyArray, type NpyOpenOptions } from './npy-array.js';
import { readZipDirectory, readZipEntry, type ZipEntry, zipDataOffset } from './zip.js';

const SPLITS = [
  { split: 'train', x: 'x_train', y: 'y_train', required: true },
  { split: 'test', x: 'x_test', y: 'y_test', required: true },
  { split: 'validation', x: 'x_val', y: 'y_val', required: false },
] as const;

/**
 * One array of an npz: stored entries larger than `NPY_IN_MEMORY_BYTES` are read from the archive
 * by file offset (no copy in memory); DEFLATE entries are inflated into memory as their raw dtype.
 */
async function openEntry(file: string, handle: Awaited<ReturnType<typeof open>>, entry: ZipEntry, limits: NpyOpenOptions): Promise<NpyArray> {
  const key = entry.name.replace(/\.npy$/, '');
  if (entry.method === 0 && entry.size > (limits.maxInMemoryBytes ?? NPY_IN_MEMORY_BYTES)) {
    return NpyArray.openFile(file, { ...limits, start: await zipDataOffset(handle, file, entry), length: entry.size, entry: key });
  }
  return NpyArray.fromBytes(await readZipEntry(handle, file, entry), { source: file, entry: key });
}

/**
 * Opens `npz:FILE`: a NumPy `.npz` (`np.savez` or `np.savez_compressed`) with the Keras keys
 * `x_train`, `y_train`, `x_test`, `y_test` and optionally `x_val`, `y_val`.
 *
 * Stored entries larger than `limits.maxInMemoryBytes` are read from the archive a batch at a time.
 *
 * @throws DataError ('missing-key') listing the keys the archive has when an expected one is missing.
 */
export async function openNpz(file: string, options: OpenDataOptions, limits: NpyOpenOptions = {}): Promise<DatasetSplits> {
  if (file === '') throw new DataError('unsupported', { source: 'npz:' }, 'expected npz:FILE');
  const handle = await open(file, 'r');
  const arrays: NpyArray[] = [];
  try {
    const entries = new Map((await readZipDirectory(handle, file)).map((e) => [e.name.replace(/\.npy$/, ''), e]));
    const keys = [...entries.keys()];
    const pairs: ArrayPair[] = [];
    for (const s of SPLITS) {
      const present = entries.has(s.x) && entries.has(s.y);
      if (!present && !s.required && !entries.has(s.x) && !entries.has(s.y)) continue;
      if (!present) {
        const missing = [s.x, s.y].filter((k) => !entries.has(k));
        throw new DataError('missing-key', { source: file }, `no ${missing.join(', ')} in the archive; it has ${keys.length > 0 ? keys.join(', ') : 'no arrays'} (expected x_train, y_train, x_test, y_test and optionally x_val, y_val)`);
      }
      const x = await openEntry(file, handle, entries.get(s.x)!, limits);
      arrays.push(x);
      const y = await openEntry(file, handle, entries.get(s.y)!, limits);
      arrays.push(y);
      pairs.push({ name: `${file}/${s.split}`, x, y });
    }
    return await arraySplits(pairs, options);
  } catch (error) {
    await Promise.all(arrays.map((a) => a.close().catch(() => undefined)));
    throw error;
  } finally {
    await handle.close();
  }
}

/** The `npz:` data format. */
export const npzFormat: DataFormat = Object.freeze({
  name: 'npz',
  forms: ['npz:FILE'],
  open: (file: string, options: OpenDataOptions) => openNpz(file, options),
});
