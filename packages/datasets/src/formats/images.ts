import os from 'node:os';
import path from 'node:path';
import { ConfigError, DataError, Dataset, type DatasetSplits, stratifiedSplit } from '@shrinkray/tensor-core';
import type { DataFormat, OpenDataOptions } from '../formats.js';
import type { ImageTransform } from './image-decode.js';
import { type FolderSplit, scanImageFolder } from './image-folder.js';
import { type ImageHeader, readImageHeader } from './image-header.js';
import { imageTarget } from './image-geometry.js';
import { imageNotes } from './image-notes.js';
import { type ImageDecoder, ImageSource } from './image-source.js';
import { channelLookup } from './normalise.js';
import { mapPool } from './pool.js';

type SharpFn = (typeof import('sharp'))['default'];

/** What the header says about one file. */
type Probe = ImageHeader;

/** Images decoded at once by one source: two per core keeps every core busy while files are read. */
export function imageConcurrency(): number {
  return 2 * os.availableParallelism();
}

async function loadDecoder(): Promise<ImageDecoder & { sharp: SharpFn }> {
  const [{ decodeImage, cropInto }, { default: sharp }] = await Promise.all([import('./image-decode.js'), import('sharp')]);
  return { decodeImage, cropInto, sharp };
}

/**
 * Probes every file: its header (size, channels, PNG/JPEG) and, with `full`, a whole decode, which
 * also finds truncated files. Returns the probes, `null` for files that failed when `skip` is set.
 *
 * @throws DataError ('corrupt') naming the first bad file when `skip` is not set.
 */
async function probeAll(files: readonly string[], sharp: SharpFn, full: boolean, skip: boolean, signal?: AbortSignal): Promise<(Probe | null)[]> {
  return mapPool(
    files,
    imageConcurrency(),
    async (file) => {
      try {
        const header = await readImageHeader(file);
        if (header.width === 0 || header.height === 0) throw new Error(`image of size ${header.width}x${header.height}`);
        if (full) await sharp(file, { failOn: 'warning' }).raw().toBuffer();
        return header;
      } catch (error) {
        if (skip) return null;
        throw new DataError('corrupt', { source: file }, `cannot read the image (${(error as Error).message.split('\n')[0]}); use skipCorrupt (--skip-corrupt) to skip such files`);
      }
    },
    signal,
  );
}

/**
 * Opens `images:DIR`, a torchvision ImageFolder: `DIR/train/<class>/*` and `DIR/test/<class>/*`
 * (optionally `DIR/val/<class>/*`), or `DIR/<class>/*` with a seeded stratified test split. Classes
 * are the sorted folder names, or `classes` (the model's order). Images are brought to the model's
 * input (`inputShape`: size and grey/RGB), resized by their shorter side (to `resize`, or to cover
 * the input) and centre-cropped, scaled to [0, 1], then normalised with `mean`/`std`; they are
 * decoded a batch at a time when read. The datasets' `notes` say what was resized or skipped.
 *
 * @throws DataError for an empty class folder, a class folder missing from `classes`, or a corrupt
 *   image (unless `skipCorrupt`); ShapeMismatchError when the model's input cannot take images.
 */
export async function openImages(dir: string, options: OpenDataOptions): Promise<DatasetSplits<'float32'>> {
  if (dir === '') throw new DataError('unsupported', { source: 'images:' }, 'expected images:DIR');
  const target = imageTarget(options.inputShape);
  const layout = await scanImageFolder(dir);
  const classNames = options.classes ? [...options.classes] : layout.classes;
  const classIndex = new Map(classNames.map((n, i) => [n, i]));
  const splits = [
    { key: 'train', split: layout.train },
    ...(layout.test ? [{ key: 'test', split: layout.test }] : []),
    ...(layout.validation ? [{ key: 'validation', split: layout.validation }] : []),
  ] as { key: 'train' | 'test' | 'validation'; split: FolderSplit }[];
  for (const { split } of splits) {
    for (const name of new Set(split.classOf)) {
      if (!classIndex.has(name)) {
        throw new DataError('classes-mismatch', { source: path.join(split.dir, name) }, `class folder "${name}" is not in classes (${classNames.join(', ')})`);
      }
    }
  }
  const decoder = await loadDecoder();
  const skip = options.skipCorrupt === true;
  const probed = await Promise.all(splits.map(({ split }) => probeAll(split.files, decoder.sharp, skip, skip, options.signal)));
  const first = probed.flat().find((p) => p !== null);
  if (!first) throw new DataError('empty', { source: dir }, 'no readable image');
  const channels = target.channels ?? (first.channels <= 2 ? 1 : 3);
  const height = target.height ?? options.resize ?? first.height;
  const width = target.width ?? options.resize ?? first.width;
  if (options.resize !== undefined && !(Number.isInteger(options.resize) && options.resize >= Math.max(height, width))) {
    throw new ConfigError('resize', `the shorter side must be resized to an integer >= ${Math.max(height, width)} to centre-crop ${width}x${height}, got ${options.resize}`);
  }
  const transform: ImageTransform = { height, width, channels, ...(options.resize !== undefined ? { resize: options.resize } : {}) };
  const lookup = channelLookup(options.mean, options.std, channels, dir);
  const datasets = splits.map(({ key, split }, s) => {
    const probes = probed[s]!;
    const keep = probes.flatMap((p, i) => (p === null ? [] : [i]));
    const files = keep.map((i) => split.files[i]!);
    if (files.length === 0) throw new DataError('empty', { source: split.dir }, 'no readable image');
    const sizes = { width: Int32Array.from(keep, (i) => probes[i]!.width), height: Int32Array.from(keep, (i) => probes[i]!.height) };
    const labels = Int32Array.from(keep, (i) => classIndex.get(split.classOf[i]!)!);
    const name = layout.test || layout.validation ? `${dir}/${key}` : dir;
    const notes = imageNotes({ name, split, probes, keep, transform, options, classes: new Set(split.classOf).size });
    const source = new ImageSource(name, files, sizes, transform, lookup, decoder, imageConcurrency());
    return { key, dataset: Dataset.fromSource(source, labels, { name, numClasses: classNames.length, classNames, notes }) };
  });
  const byKey = new Map(datasets.map((d) => [d.key, d.dataset]));
  const train = byKey.get('train')!;
  const validation = byKey.get('validation');
  const test = byKey.get('test');
  if (test) return { train, test, ...(validation ? { validation } : {}) };
  const { first: fit, second: held } = stratifiedSplit(train, options.testFraction ?? 0.2, options.seed ?? 0, [train.name, `${train.name} (held out)`]);
  return { train: fit, test: held, ...(validation ? { validation } : {}) };
}

/** The `images:` data format. */
export const imagesFormat: DataFormat = Object.freeze({
  name: 'images',
  forms: ['images:DIR'],
  open: openImages,
});
