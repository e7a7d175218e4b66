import { dataForms, type OpenDataOptions } from '@shrinkray/datasets';
import type { DeclaredShape } from '@shrinkray/tensor-core';
import { type Command, InvalidArgumentError, Option } from 'commander';

/** The data options as commander parses them (see `addDataOptions`). */
export interface DataCliOptions {
  labelColumn?: string;
  classes?: string[];
  resize?: number;
  mean?: number[];
  std?: number[];
  skipCorrupt?: boolean;
}

function parseNumbers(value: string): number[] {
  const parts = value.split(',').map((v) => v.trim());
  const numbers = parts.map(Number);
  if (parts.some((p) => p === '') || !numbers.every(Number.isFinite)) {
    throw new InvalidArgumentError(`expected comma-separated numbers, e.g. 0.485,0.456,0.406; got "${value}"`);
  }
  return numbers;
}

function parsePositiveNumbers(value: string): number[] {
  const numbers = parseNumbers(value);
  if (!numbers.every((n) => n > 0)) throw new InvalidArgumentError(`every std must be positive, got "${value}"`);
  return numbers;
}

function parseNames(value: string): string[] {
  const names = value.split(',').map((v) => v.trim());
  if (names.some((n) => n === '')) throw new InvalidArgumentError(`expected comma-separated class names, got "${value}"`);
  if (new Set(names).size !== names.length) throw new InvalidArgumentError(`class names must be distinct, got "${value}"`);
  return names;
}

function parseSide(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer (pixels), got "${value}"`);
  return n;
}

/** The `--data` forms for a command's help text, e.g. `mnist | npz:FILE | images:DIR`. */
export function dataHelp(): string {
  return dataForms().join(' | ');
}

/**
 * Adds the options of the `--data` formats to a command: `--label-column`, `--classes`, `--resize`,
 * `--mean`, `--std`, `--skip-corrupt`. Values are checked as they are parsed (a bad one is a
 * usage error, exit code 2). Returns the command.
 */
export function addDataOptions(command: Command): Command {
  return command
    .addOption(new Option('--label-column <name>', 'csv, jsonl: the label column / JSON field (default "label")'))
    .addOption(new Option('--classes <names>', "the model's class order, comma-separated (default: the data's sorted class names)").argParser(parseNames))
    .addOption(new Option('--resize <n>', 'images: resize the shorter side to N pixels, then centre-crop to the model input').argParser(parseSide))
    .addOption(new Option('--mean <values>', 'subtract per channel after scaling to [0,1] (one value, or one per channel)').argParser(parseNumbers))
    .addOption(new Option('--std <values>', 'divide per channel after --mean (one value, or one per channel)').argParser(parsePositiveNumbers))
    .addOption(new Option('--skip-corrupt', 'images: skip (and count) unreadable or truncated files instead of failing'));
}

/**
 * Maps the parsed data options (plus what the command knows: the model's input shape, the seed) to
 * `openData`'s options.
 *
 * @example
 * const splits = await openData(options.data, openDataOptions(options, { inputShape: model.inputShape, seed }));
 */
export function openDataOptions(parsed: DataCliOptions, context: { inputShape?: DeclaredShape; seed?: number; signal?: AbortSignal } = {}): OpenDataOptions {
  const out: OpenDataOptions = {};
  if (context.inputShape !== undefined) out.inputShape = context.inputShape;
  if (context.seed !== undefined) out.seed = context.seed;
  if (context.signal !== undefined) out.signal = context.signal;
  if (parsed.labelColumn !== undefined) out.labelColumn = parsed.labelColumn;
  if (parsed.classes !== undefined) out.classes = parsed.classes;
  if (parsed.resize !== undefined) out.resize = parsed.resize;
  if (parsed.mean !== undefined) out.mean = parsed.mean;
  if (parsed.std !== undefined) out.std = parsed.std;
  if (parsed.skipCorrupt) out.skipCorrupt = true;
  return out;
}
