import { ConfigError, type DatasetSplits, type DeclaredShape, Registry } from '@shrinkray/tensor-core';
import type { TextTokenizer } from './formats/text-tokenizer.js';

/** Options every data format may read (each uses the ones that apply to it). */
export interface OpenDataOptions {
  /** Seed of any split the format carves (e.g. a test split when the files have none). */
  seed?: number;
  /** Fraction of the training data a format holds out as the test split when the files have none. Default 0.2. */
  testFraction?: number;
  /** The declared input shape of the model the data will feed (images are resized and given its channel count). */
  inputShape?: DeclaredShape;
  /** CSV/JSONL: the label column. Default `label`. */
  labelColumn?: string;
  /** CSV/JSONL text data: the text column. Default `text`. */
  textColumn?: string;
  /** Text data: the tokenizer making the token ids (a `tokenizer.json`, a folder holding one, or a loaded tokenizer). */
  tokenizer?: string | TextTokenizer;
  /** Text data: tokens per example (truncation and padding length); default the tokenizer's. */
  maxLength?: number;
  /** The model's class order (names), when it differs from the data's sorted order. */
  classes?: readonly string[];
  /** Images: resize the shorter side to this before the centre crop. */
  resize?: number;
  /** Per-channel mean and std applied after scaling to [0, 1] (torchvision `Normalize`). */
  mean?: readonly number[];
  std?: readonly number[];
  /** Images: skip (and count) corrupt files instead of failing. */
  skipCorrupt?: boolean;
  signal?: AbortSignal;
}

/**
 * A `--data` form: `prefix` is what comes before the first `:` (or the whole value for a form
 * without arguments, such as `mnist`). Built-ins register through the same `dataFormats.register`
 * a plugin uses.
 */
export interface DataFormat {
  readonly name: string;
  /** The forms this format accepts, for help texts, e.g. `npz:FILE`. */
  readonly forms: readonly string[];
  /** Opens the splits; `argument` is the text after `prefix:` (`''` when there is none). */
  open(argument: string, options: OpenDataOptions): Promise<DatasetSplits>;
}

/** The data formats by `--data` prefix. */
export const dataFormats = Registry.shared<DataFormat>('data-format', 'data format');

/** Every registered `--data` form, for help texts and messages. */
export function dataForms(): string[] {
  return dataFormats.list().flatMap((name) => dataFormats.get(name).forms);
}

/**
 * Opens the train and test splits (and validation, where the data has one) a `--data` value names:
 * `PREFIX` or `PREFIX:ARGUMENT`, the prefix picking a registered format.
 *
 * @example
 * const { train, test } = await openData('npz:fashion.npz', { inputShape: model.inputShape });
 * @throws ConfigError (option `data`) listing the accepted forms when no format has that prefix.
 */
export async function openData(spec: string, options: OpenDataOptions = {}): Promise<DatasetSplits> {
  const colon = spec.indexOf(':');
  const prefix = colon < 0 ? spec : spec.slice(0, colon);
  const argument = colon < 0 ? '' : spec.slice(colon + 1);
  if (!dataFormats.has(prefix)) {
    throw new ConfigError('data', `unknown dataset "${spec}"; accepted forms: ${dataForms().join(', ')}`);
  }
  return dataFormats.get(prefix).open(argument, options);
}
