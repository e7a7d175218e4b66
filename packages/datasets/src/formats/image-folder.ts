import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { DataError } from '@shrinkray/tensor-core';

/** The image files shrinkray decodes (by extension, case-insensitive). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

/** One split of an ImageFolder: files in class order, each with its class folder's name. */
export interface FolderSplit {
  /** The split's folder. */
  readonly dir: string;
  readonly files: string[];
  /** The class folder name of each file. */
  readonly classOf: string[];
  /** Files under the split that are not PNG/JPEG (ignored). */
  readonly ignored: number;
}

/** The splits an `images:DIR` folder holds. */
export interface ImageFolderLayout {
  readonly train: FolderSplit;
  readonly test?: FolderSplit;
  readonly validation?: FolderSplit;
  /** Sorted class folder names of the training split. */
  readonly classes: string[];
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

function isImage(name: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(name).toLowerCase());
}

/** Every file under `dir` (recursively, hidden entries skipped), sorted by path. */
async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile() || e.isSymbolicLink()) out.push(p);
  }
  return out;
}

/** Class folders of one split, sorted by name as torchvision's ImageFolder sorts them. */
async function classFolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  return names.sort();
}

/**
 * Lists one split: `dir/<class>/**` for every class folder. `classes` restricts to known names
 * (a test split's folders must be training classes).
 *
 * @throws DataError ('empty') naming a class folder without PNG/JPEG files, or a split without class folders.
 */
async function listSplit(dir: string, allowed?: ReadonlySet<string>): Promise<{ split: FolderSplit; classes: string[] }> {
  const classes = await classFolders(dir);
  if (classes.length === 0) throw new DataError('empty', { source: dir }, 'no class folders (expected DIR/<class>/*.png|jpg)');
  const files: string[] = [];
  const classOf: string[] = [];
  let ignored = 0;
  for (const name of classes) {
    if (allowed && !allowed.has(name)) {
      throw new DataError('classes-mismatch', { source: path.join(dir, name) }, `class folder "${name}" is not a class of the training split (${[...allowed].join(', ')})`);
    }
    const all = await walk(path.join(dir, name));
    const images = all.filter(isImage);
    ignored += all.length - images.length;
    if (images.length === 0) throw new DataError('empty', { source: path.join(dir, name) }, 'empty class folder: no PNG or JPEG files');
    for (const f of images) {
      files.push(f);
      classOf.push(name);
    }
  }
  return { split: { dir, files, classOf, ignored }, classes };
}

/**
 * Reads a torchvision ImageFolder layout: `DIR/train/<class>/*` with `DIR/test/<class>/*` (and
 * optionally `DIR/val/<class>/*`), or `DIR/<class>/*` alone (the caller splits it).
 *
 * @throws DataError when DIR does not exist, or a split or class folder is empty.
 */
export async function scanImageFolder(dir: string): Promise<ImageFolderLayout> {
  if (!(await isDir(dir))) throw new DataError('empty', { source: dir }, 'not a directory (expected an ImageFolder: DIR/train/<class>/*, DIR/test/<class>/*)');
  const hasTrain = await isDir(path.join(dir, 'train'));
  if (!hasTrain) {
    const { split, classes } = await listSplit(dir);
    return { train: split, classes };
  }
  const { split: train, classes } = await listSplit(path.join(dir, 'train'));
  const known = new Set(classes);
  const test = (await isDir(path.join(dir, 'test'))) ? (await listSplit(path.join(dir, 'test'), known)).split : undefined;
  const validation = (await isDir(path.join(dir, 'val'))) ? (await listSplit(path.join(dir, 'val'), known)).split : undefined;
  return { train, classes, ...(test ? { test } : {}), ...(validation ? { validation } : {}) };
}
