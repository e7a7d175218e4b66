import { createReadStream } from 'node:fs';
import { type Options, type Parser, parse } from 'csv-parse';
import { DataError, Dataset, type DatasetSplits, stratifiedSplit, Tensor } from '@shrinkray/tensor-core';
import type { DataFormat, OpenDataOptions } from '../formats.js';
import { classesForIndices, integerLabels } from './labels.js';
import { channelNormaliser } from './normalise.js';
import { openTextCsv } from './text.js';
import { isTextCsvHeader, type TextDatasetSplits } from './text-data.js';

/** One CSV file read into memory: features row-major, raw label cells and their line numbers. */
interface CsvTable {
  file: string;
  columns: string[];
  features: Float32Array;
  rows: number;
  labels: string[];
  lines: Int32Array;
}

const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/** Grows a float32 buffer by doubling. */
class FloatBuilder {
  data = new Float32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

/**
 * A csv-parse stream over `file`: a read error of the file (e.g. ENOENT) surfaces through the parser,
 * and destroying the parser (after a partial read) closes the file.
 */
function parseFile(file: string, options: Options): Parser {
  const parser = parse(options);
  const input = createReadStream(file);
  input.on('error', (error) => parser.destroy(error));
  parser.on('close', () => input.destroy());
  return input.pipe(parser);
}

/**
 * Reads a CSV with a header row: every column but `labelColumn` is a numeric feature.
 *
 * @throws DataError naming the file and line of a ragged row, a non-numeric cell, or NaN/Inf (with its column).
 */
export async function readCsvTable(file: string, labelColumn: string, expectColumns?: readonly string[]): Promise<CsvTable> {
  const parser = parseFile(file, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true });
  let header: string[] | null = null;
  let labelAt = -1;
  const features = new FloatBuilder();
  const labels: string[] = [];
  const lines: number[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (header === null) {
        header = record;
        labelAt = header.indexOf(labelColumn);
        if (labelAt < 0) {
          throw new DataError('missing-key', { source: file, line }, `no label column "${labelColumn}" in the header (columns: ${header.join(', ')}); name it with the labelColumn option (--label-column)`);
        }
        if (expectColumns && expectColumns.join('\u0000') !== header.join('\u0000')) {
          throw new DataError('unsupported', { source: file, line }, `the header differs from the training file's: ${header.join(',')} vs ${expectColumns.join(',')}`);
        }
        continue;
      }
      if (record.length !== header.length) {
        throw new DataError('ragged', { source: file, line }, `expected ${header.length} fields (as in the header), found ${record.length}`);
      }
      for (let c = 0; c < record.length; c++) {
        const cell = record[c]!;
        if (c === labelAt) continue;
        const v = cell === '' ? Number.NaN : Number(cell);
        if (Number.isNaN(v) && !NON_FINITE.test(cell)) {
          throw new DataError('non-numeric', { source: file, line, column: header[c]! }, `"${cell}" is not a number`);
        }
        if (!Number.isFinite(v) || NON_FINITE.test(cell)) {
          throw new DataError('non-finite', { source: file, line, column: header[c]! }, `feature is ${cell}, expected a finite number`);
        }
        features.push(v);
      }
      labels.push(record[labelAt]!);
      lines.push(line);
    }
  } catch (error) {
    if (DataError.isInstance(error)) throw error;
    const e = error as Error & { lines?: number; code?: string };
    if (e.code === 'ENOENT' || e.code === 'EISDIR' || e.code === 'EACCES') throw new DataError('corrupt', { source: file }, `cannot be read (${e.code})`);
    throw new DataError('corrupt', { source: file, ...(e.lines !== undefined ? { line: e.lines } : {}) }, `unreadable CSV: ${e.message}`);
  } finally {
    parser.destroy();
  }
  if (header === null) throw new DataError('empty', { source: file }, 'the file has no header row');
  if (labels.length === 0) throw new DataError('empty', { source: file }, 'the file has a header but no rows');
  const rows = labels.length;
  return { file, columns: header, features: features.data.slice(0, features.length), rows, labels, lines: Int32Array.from(lines) };
}

/** Class indices for the label cells of every table: integers as they are, anything else by sorted name (or by `classes`). */
function labelIndices(tables: readonly CsvTable[], classes: readonly string[] | undefined): { labels: Int32Array[]; numClasses: number; classNames: string[] } {
  const numeric = tables.every((t) => t.labels.every((l) => l !== '' && Number.isFinite(Number(l))));
  if (numeric) {
    const labels = tables.map((t) => integerLabels(t.labels.map(Number), { source: t.file }, (i) => ({ line: t.lines[i]!, column: 'label' })));
    return { labels, ...classesForIndices(labels, classes) };
  }
  const names = classes ? [...classes] : [...new Set(tables.flatMap((t) => t.labels))].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  const labels = tables.map((t) =>
    Int32Array.from(t.labels, (l, i) => {
      const k = index.get(l);
      if (k === undefined) throw new DataError('label-out-of-range', { source: t.file, line: t.lines[i]! }, `label "${l}" is not one of the classes ${names.join(', ')}`);
      return k;
    }),
  );
  return { labels, numClasses: names.length, classNames: names };
}

/**
 * The header row of a CSV file, or `null` when the file cannot be read or parsed (the numeric
 * reader then reports the problem with its file and line).
 */
export async function readCsvHeader(file: string): Promise<string[] | null> {
  const parser = parseFile(file, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, to_line: 1 });
  try {
    for await (const record of parser as AsyncIterable<string[]>) return record;
    return null;
  } catch {
    return null;
  } finally {
    parser.destroy();
  }
}

/**
 * Opens `csv:TRAIN[,TEST]`: a header row, numeric feature columns and a label column (`label`, or
 * `labelColumn`). String labels become class indices in sorted order (or the order of `classes`)
 * and keep their names. Without TEST, a seeded stratified split holds out `testFraction` (0.2).
 *
 * Text data goes to {@link openTextCsv} (as `text-csv:` would): when `textColumn` is given, or when
 * TRAIN's header is a text header by `isTextCsvHeader` (only `text`, the label column and `id`).
 */
export async function openCsv(argument: string, options: OpenDataOptions): Promise<DatasetSplits<'float32'> | TextDatasetSplits> {
  const files = argument.split(',').map((f) => f.trim());
  if (files.length > 2 || files.some((f) => f === '')) {
    throw new DataError('unsupported', { source: `csv:${argument}` }, 'expected csv:TRAIN or csv:TRAIN,TEST');
  }
  if (options.textColumn !== undefined) return openTextCsv(files.join(','), options);
  const header = await readCsvHeader(files[0]!);
  if (header !== null && isTextCsvHeader(header, options)) return openTextCsv(files.join(','), options);
  return openNumericCsv(files, options);
}

async function openNumericCsv(files: readonly string[], options: OpenDataOptions): Promise<DatasetSplits<'float32'>> {
  const labelColumn = options.labelColumn ?? 'label';
  const train = await readCsvTable(files[0]!, labelColumn);
  const tables = files[1] === undefined ? [train] : [train, await readCsvTable(files[1], labelColumn, train.columns)];
  const { labels, numClasses, classNames } = labelIndices(tables, options.classes);
  const width = train.columns.length - 1;
  const normalise = channelNormaliser(options.mean, options.std, width, files[0]!);
  const datasets = tables.map((t, i) => {
    normalise?.(t.features);
    const x = new Tensor('float32', [t.rows, width], t.features, `${t.file}.x`);
    return Dataset.fromArrays(x, labels[i]!, { name: t.file, numClasses, classNames, notes: [`${t.file}: ${t.rows} rows of ${width} features, label column "${labelColumn}"`] });
  });
  if (datasets.length === 1) {
    const { first, second } = stratifiedSplit(datasets[0]!, options.testFraction ?? 0.2, options.seed ?? 0, [files[0]!, `${files[0]} (held out)`]);
    return { train: first, test: second };
  }
  return { train: datasets[0]!, test: datasets[1]! };
}

/** The `csv:` data format: numeric features, or texts (with a text column; see {@link openCsv}). */
export const csvFormat: DataFormat = Object.freeze({
  name: 'csv',
  forms: ['csv:TRAIN', 'csv:TRAIN,TEST'],
  open: openCsv,
});
