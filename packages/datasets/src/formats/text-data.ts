import { readFile } from 'node:fs/promises';
import { ConfigError, DataError, Dataset, type DatasetSplits, stratifiedSplit, Tensor } from '@shrinkray/tensor-core';
import { parse } from 'csv-parse/sync';
import type { OpenDataOptions } from '../formats.js';
import { TextTokenizer } from './text-tokenizer.js';

/** Texts and their labels as read from one file, before tokenization. */
export interface TextRows {
  readonly file: string;
  readonly texts: string[];
  /** The label cell of each row as text (`''` for a row without one). */
  readonly labels: string[];
}

/** Tokenized text splits: token-id `Dataset`s plus the raw texts (in dataset order) for other tokenizers. */
export interface TextDatasetSplits extends DatasetSplits<'int32'> {
  /** The texts of every split, row `i` of `texts.train` being example `i` of `train`. */
  readonly texts: { readonly train: readonly string[]; readonly test: readonly string[] };
  /** The tokenizer that made the ids (attention mask = `ids !== tokenizer.padId`). */
  readonly tokenizer: TextTokenizer;
}

function columns(options: OpenDataOptions): { text: string; label: string } {
  return { text: options.textColumn ?? 'text', label: options.labelColumn ?? 'label' };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new DataError('corrupt', { source: file }, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function cell(value: unknown, file: string, line: number, column: string, what: 'text' | 'label'): string {
  if (value === undefined || value === null || value === '') {
    if (what === 'label') return '';
    throw new DataError('missing-key', { source: file, line, column }, `row has no ${what} in column "${column}"`);
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new DataError('unsupported', { source: file, line, column }, `expected a string or number, found ${Array.isArray(value) ? 'an array' : typeof value}`);
}

/**
 * Reads a JSON Lines file: one object per line with a text field and a label field (blank lines
 * skipped).
 *
 * @throws DataError naming the line of a malformed object or a missing text.
 */
export async function readJsonlTexts(file: string, options: OpenDataOptions = {}): Promise<TextRows> {
  const { text, label } = columns(options);
  const lines = (await readText(file)).split('\n');
  const texts: string[] = [];
  const labels: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new DataError('corrupt', { source: file, line: i + 1 }, `not JSON (${(error as Error).message})`);
    }
    if (!row || typeof row !== 'object' || Array.isArray(row)) throw new DataError('corrupt', { source: file, line: i + 1 }, 'expected a JSON object');
    const r = row as Record<string, unknown>;
    texts.push(cell(r[text], file, i + 1, text, 'text'));
    labels.push(cell(r[label], file, i + 1, label, 'label'));
  }
  if (texts.length === 0) throw new DataError('empty', { source: file }, 'holds no rows');
  return { file, texts, labels };
}

/**
 * Reads a CSV file with a header row (parsed by `csv-parse`): the text column and the label column
 * are picked by name; other columns are ignored.
 *
 * @throws DataError naming the file and column when a column is missing, or the line of a bad row.
 */
export async function readCsvTexts(file: string, options: OpenDataOptions = {}): Promise<TextRows> {
  const { text, label } = columns(options);
  let records: string[][];
  try {
    records = parse(await readText(file), { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (error) {
    const e = error as Error & { lines?: number };
    throw new DataError('corrupt', { source: file, ...(e.lines ? { line: e.lines } : {}) }, `not valid CSV (${e.message})`);
  }
  const header = records[0];
  if (!header) throw new DataError('empty', { source: file }, 'holds no header row');
  const ti = header.indexOf(text);
  const li = header.indexOf(label);
  if (ti < 0) throw new DataError('missing-key', { source: file, line: 1, column: text }, `no text column "${text}" (columns: ${header.join(', ')})`);
  if (li < 0) throw new DataError('missing-key', { source: file, line: 1, column: label }, `no label column "${label}" (columns: ${header.join(', ')})`);
  const texts: string[] = [];
  const labels: string[] = [];
  for (let r = 1; r < records.length; r++) {
    const row = records[r]!;
    texts.push(cell(row[ti], file, r + 1, text, 'text'));
    labels.push(cell(row[li], file, r + 1, label, 'label'));
  }
  if (texts.length === 0) throw new DataError('empty', { source: file }, 'holds no data rows');
  return { file, texts, labels };
}

/**
 * True when a CSV header should be read as text data: a `textColumn` was asked for, or the header
 * holds the text column (default `text`) and the label column and nothing else but an `id` column.
 * The numeric `csv:` format calls this to hand such files to {@link openTextCsv}.
 */
export function isTextCsvHeader(header: readonly string[], options: OpenDataOptions = {}): boolean {
  const { text, label } = columns(options);
  if (options.textColumn !== undefined) return true;
  const rest = header.filter((h) => h !== text && h !== label && h !== 'id');
  return header.includes(text) && header.includes(label) && rest.length === 0;
}

/**
 * Class names and label indices: the `classes` option's order when given, else integer labels as
 * themselves when every label is a non-negative integer, else the sorted distinct names.
 */
export function textClasses(parts: readonly TextRows[], options: OpenDataOptions = {}): { classNames: string[]; index: Map<string, number> } {
  const seen = new Set<string>();
  for (const p of parts) for (const l of p.labels) if (l !== '') seen.add(l);
  let classNames: string[];
  if (options.classes) classNames = [...options.classes];
  else if ([...seen].every((l) => /^(0|[1-9][0-9]*)$/.test(l))) {
    const max = Math.max(-1, ...[...seen].map(Number));
    classNames = Array.from({ length: max + 1 }, (_, i) => String(i));
  } else classNames = [...seen].sort();
  if (classNames.length === 0) throw new DataError('empty', { source: parts[0]?.file ?? 'text data' }, 'no row has a label');
  return { classNames, index: new Map(classNames.map((c, i) => [c, i])) };
}

function toDataset(rows: TextRows, tokenizer: TextTokenizer, classes: { classNames: string[]; index: Map<string, number> }, name: string): Dataset<'int32'> {
  const y = new Int32Array(rows.labels.length);
  rows.labels.forEach((l, i) => {
    if (l === '') y[i] = -1;
    else {
      const k = classes.index.get(l);
      if (k === undefined) throw new DataError('label-out-of-range', { source: rows.file, row: i }, `label "${l}" is not one of the classes ${classes.classNames.join(', ')}`);
      y[i] = k;
    }
  });
  const enc = tokenizer.encodeBatch(rows.texts);
  const notes = [`tokenized ${enc.rows} texts with ${tokenizer.modelType} ${tokenizer.file} to ${enc.maxLength} tokens (${enc.truncated} truncated)`];
  const x = new Tensor('int32', [enc.rows, enc.maxLength], enc.ids, `${name}.x`);
  return Dataset.fromArrays(x, y, { name, classNames: classes.classNames, notes });
}

async function tokenizerOf(options: OpenDataOptions): Promise<TextTokenizer> {
  const t = options.tokenizer;
  if (t === undefined) throw new ConfigError('tokenizer', 'text data needs a tokenizer (a tokenizer.json or a folder holding one)');
  if (t instanceof TextTokenizer) return t;
  return TextTokenizer.load(t, options.maxLength !== undefined ? { maxLength: options.maxLength } : {});
}

/**
 * Opens text data from `TRAIN[,TEST]` files read by `read`: token ids of `options.tokenizer` as int32
 * `Dataset`s with example shape `[maxLength]`. Without a test file, a stratified `testFraction`
 * (default 0.2) of the training rows is held out with `seed`.
 */
export async function openTextFiles(argument: string, options: OpenDataOptions, read: (file: string, options: OpenDataOptions) => Promise<TextRows>, format: string): Promise<TextDatasetSplits> {
  const files = argument.split(',').filter((f) => f !== '');
  if (files.length < 1 || files.length > 2) throw new ConfigError('data', `${format}: expected ${format}:TRAIN[,TEST], got "${format}:${argument}"`);
  const tokenizer = await tokenizerOf(options);
  const parts = await Promise.all(files.map((f) => read(f, options)));
  const classes = textClasses(parts, options);
  const train = toDataset(parts[0]!, tokenizer, classes, `${files[0]}`);
  if (parts[1]) {
    const test = toDataset(parts[1], tokenizer, classes, `${files[1]}`);
    return { train, test, texts: { train: parts[0]!.texts, test: parts[1].texts }, tokenizer };
  }
  const [first, second] = await splitIndices(train, options.testFraction ?? 0.2, options.seed ?? 0);
  const all = parts[0]!.texts;
  return {
    train: train.subset(first, `${files[0]}/train`),
    test: train.subset(second, `${files[0]}/test`),
    texts: { train: Array.from(first, (i) => all[i]!), test: Array.from(second, (i) => all[i]!) },
    tokenizer,
  };
}

/** The row indices of tensor-core's `stratifiedSplit` of `ds` (split over a dataset of row numbers). */
async function splitIndices(ds: Dataset<'int32'>, fraction: number, seed: number): Promise<[Int32Array, Int32Array]> {
  const rows = new Tensor('int32', [ds.size, 1], Int32Array.from({ length: ds.size }, (_, i) => i));
  const { first, second } = stratifiedSplit(Dataset.fromArrays(rows, ds.labels, { numClasses: ds.numClasses, classNames: ds.classNames }), fraction, seed);
  const all = (d: Dataset<'int32'>) => d.read(Int32Array.from({ length: d.size }, (_, i) => i));
  return [(await all(first)).data as Int32Array, (await all(second)).data as Int32Array];
}
