import type { DataFormat, OpenDataOptions } from '../formats.js';
import { openTextFiles, readCsvTexts, readJsonlTexts, type TextDatasetSplits } from './text-data.js';

/**
 * Opens `TRAIN[,TEST]` JSON Lines files of `{"text": …, "label": …}` objects (field names from
 * `textColumn` / `labelColumn`) as token-id datasets of `options.tokenizer`.
 */
export function openTextJsonl(argument: string, options: OpenDataOptions): Promise<TextDatasetSplits> {
  return openTextFiles(argument, options, readJsonlTexts, 'jsonl');
}

/**
 * Opens `TRAIN[,TEST]` CSV files with a header row holding a text column and a label column as
 * token-id datasets of `options.tokenizer`. The numeric `csv:` format hands a file here when
 * `isTextCsvHeader(header, options)` is true.
 */
export function openTextCsv(argument: string, options: OpenDataOptions): Promise<TextDatasetSplits> {
  return openTextFiles(argument, options, readCsvTexts, 'csv');
}

/** `jsonl:TRAIN[,TEST]`: text classification data in JSON Lines. */
export const jsonlTextFormat: DataFormat = Object.freeze({ name: 'jsonl', forms: ['jsonl:TRAIN[,TEST]'], open: openTextJsonl });

/**
 * `text-csv:TRAIN[,TEST]`: text classification data in CSV, always read as text; an alias of `csv:` for text (the `csv:` prefix
 * reads a CSV as text too when it has a text column; see `isTextCsvHeader`).
 */
export const textCsvFormat: DataFormat = Object.freeze({ name: 'text-csv', forms: ['text-csv:TRAIN[,TEST]'], open: openTextCsv });
