import type { OpenDataOptions } from '../formats.js';
import type { ImageTransform } from './image-decode.js';
import type { FolderSplit } from './image-folder.js';
import type { ImageHeader } from './image-header.js';

/**
 * How many images are resampled and how many cropped: with `resize`, those whose shorter side differs
 * from it, then those whose resized size differs from the target; without, those not of the target size.
 */
function resizeCounts(probes: readonly ImageHeader[], t: ImageTransform): { resampled: number; cropped: number } {
  let resampled = 0;
  let cropped = 0;
  for (const p of probes) {
    if (t.resize === undefined) {
      if (p.width !== t.width || p.height !== t.height) resampled++;
      continue;
    }
    const shorter = Math.min(p.width, p.height);
    if (shorter !== t.resize) resampled++;
    const scale = t.resize / shorter;
    if (Math.round(p.width * scale) !== t.width || Math.round(p.height * scale) !== t.height) cropped++;
  }
  return { resampled, cropped };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** What an image split's loader does, for the dataset's `notes`. */
export interface ImageNotesInput {
  name: string;
  split: FolderSplit;
  /** One header per file of the split, `null` for a skipped (corrupt) file. */
  probes: readonly (ImageHeader | null)[];
  /** Indices of the files kept. */
  keep: readonly number[];
  transform: ImageTransform;
  options: OpenDataOptions;
  classes: number;
}

/** The notes of an image split: size, resizing, cropping, colour conversion, skipped and ignored files, normalisation. */
export function imageNotes({ name, split, probes, keep, transform, options, classes }: ImageNotesInput): string[] {
  const { width, height, channels } = transform;
  const kept = keep.map((i) => probes[i]!);
  const { resampled, cropped } = resizeCounts(kept, transform);
  const converted = kept.filter((p) => (p.channels <= 2 ? 1 : 3) !== channels).length;
  const skipped = split.files.filter((_, i) => probes[i] === null);
  const notes = [`${name}: ${plural(kept.length, 'image')} of ${plural(classes, 'class')} decoded to ${width}x${height}x${channels} a batch at a time`];
  if (transform.resize !== undefined) {
    if (resampled > 0) notes.push(`${name}: ${plural(resampled, 'image')} resized (shorter side to ${transform.resize}, bilinear)`);
    if (cropped > 0) notes.push(`${name}: ${plural(cropped, 'image')} centre-cropped to ${width}x${height}`);
  } else if (resampled > 0) {
    notes.push(`${name}: ${plural(resampled, 'image')} resized (shorter side to cover ${width}x${height}, bilinear) and centre-cropped`);
  }
  if (converted > 0) notes.push(`${name}: ${plural(converted, 'image')} converted to ${channels === 1 ? 'grey' : 'RGB'}`);
  if (skipped.length > 0) notes.push(`${name}: skipped ${plural(skipped.length, 'corrupt image')}: ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ', …' : ''}`);
  if (split.ignored > 0) notes.push(`${name}: ignored ${plural(split.ignored, 'file')} that are not PNG or JPEG`);
  if (options.mean || options.std) notes.push(`${name}: normalised per channel with mean ${options.mean?.join(',') ?? '0'} and std ${options.std?.join(',') ?? '1'}`);
  return notes;
}
