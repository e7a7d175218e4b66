import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type TextDatasetSplits, TextTokenizer } from '@shrinkray/datasets';
import { openTextTeacher } from '@shrinkray/distill';
import { type AggregatorPlugin, ensemble, type EnsembleEvent, type EnsembleReport, type TokenizerIdentity, tokenizerKey } from '@shrinkray/ensemble';
import { OnnxTextModel } from '@shrinkray/onnx-io';
import { initBackend, loadTfjsModel, type Model, TfjsModel, writeFileAtomic } from '@shrinkray/tensor-core';
import { UsageError } from '../io.js';
import { isDir, isTextJob, isTextModelFolder, maxLengthOf, openTextSplits, type TextCliOptions } from './text.js';

/** True when `shrinkray ensemble` runs on text: text data, or a member given as a transformers.js folder. */
export async function isTextEnsemble(files: readonly string[], data: string, options: TextCliOptions): Promise<boolean> {
  for (const file of files) if (await isTextJob(file, data, options)) return true;
  return false;
}

/** What the text ensemble ran and wrote. */
export interface TextEnsembleRun {
  report: EnsembleReport;
  /** The data's tokenizer (`--tokenizer` or the first member's). */
  tokenizer: string;
  /** Per member, the tokenizer whose ids it read: the data's, or its own when it differs. */
  memberTokenizers: string[];
}

/** The tokenizer written beside the fused model: the data tokenizer's `tokenizer.json`, its truncation set to the length the ids were made at. */
async function tokenizerJsonFor(tokenizer: TextTokenizer): Promise<string> {
  const text = await readFile(tokenizer.file, 'utf8');
  const json = JSON.parse(text) as { truncation?: { max_length?: number } | null };
  if (json.truncation?.max_length === tokenizer.maxLength) return text;
  json.truncation = { direction: 'Right', strategy: 'LongestFirst', stride: 0, ...(json.truncation ?? {}), max_length: tokenizer.maxLength } as { max_length: number };
  return `${JSON.stringify(json)}\n`;
}

/**
 * `shrinkray ensemble M1 M2 … --data jsonl:…|csv:…|text-csv:…`: text members - student `model.json`
 * / `.onnx` files (their tokenizer: the `tokenizer.json` beside them) and transformers.js folders
 * (`hf:DIR`, with their own tokenizer). The texts are tokenized by `--tokenizer`, else the first
 * member's tokenizer; a member whose tokenizer differs reads the same texts tokenized by its own
 * (the library's `memberData`), except with `--fuse` (one graph, one `input_ids`), where it is
 * refused before the data is read. With `--fuse -o FILE.onnx` the data tokenizer's
 * `tokenizer.json` is written beside FILE so `shrinkray eval FILE.onnx --data …` reads the same ids.
 */
export async function runTextEnsemble(
  files: readonly string[],
  options: TextCliOptions & { data: string; fuse?: boolean; output?: string; tokenIds?: string },
  args: { plugin: AggregatorPlugin; weights: number[] | undefined; validationFraction: number; seed: number; onEvent: (event: EnsembleEvent) => void },
): Promise<TextEnsembleRun> {
  await initBackend();
  const maxLength = maxLengthOf(options);
  const lengthOption = maxLength !== undefined ? { maxLength } : {};
  const models: (Model | undefined)[] = [];
  const tokenizersOf: (TextTokenizer | undefined)[] = [];
  const classesOf: (readonly string[] | undefined)[] = [];
  const students: { index: number; file: string }[] = [];
  try {
    // Teacher folders open with their own tokenizer; student files once the data tokenizer (their pad id) is known.
    for (const [index, arg] of files.entries()) {
      if (await isTextModelFolder(arg)) {
        const teacher = await openTextTeacher(arg, { ...lengthOption, name: arg });
        models[index] = teacher.model;
        tokenizersOf[index] = teacher.tokenizer;
        classesOf[index] = teacher.classNames;
        continue;
      }
      const file = (await isDir(arg)) ? path.join(arg, 'model.json') : arg;
      if (!existsSync(file)) throw new UsageError(`${arg}: no such file`);
      if (!/\.(onnx|json)$/i.test(file)) throw new UsageError(`${arg}: a text member is a model.json, an .onnx file or a transformers.js folder (hf:DIR)`);
      const own = path.join(path.dirname(file), 'tokenizer.json');
      tokenizersOf[index] = existsSync(own) ? await TextTokenizer.load(own, lengthOption) : undefined;
      students.push({ index, file });
    }
    const dataTokenizer = options.tokenizer !== undefined ? await TextTokenizer.load(options.tokenizer, lengthOption) : tokenizersOf.find((t) => t !== undefined);
    if (!dataTokenizer) throw new UsageError('text data needs --tokenizer (a tokenizer.json or a folder holding one): no member has a tokenizer.json beside it');
    for (const { index, file } of students) {
      const name = files[index]!;
      const padId = (tokenizersOf[index] ?? dataTokenizer).padId;
      models[index] = file.toLowerCase().endsWith('.onnx') ? await OnnxTextModel.create(file, { padId, name }) : new TfjsModel(await loadTfjsModel(file), name);
    }
    // A teacher folder's id2label fixes the class order; several teachers must agree on it.
    const first = classesOf.findIndex((c) => c !== undefined);
    const classes = first < 0 ? undefined : classesOf[first]!;
    for (const [i, c] of classesOf.entries()) {
      if (c && classes && c.join('\n') !== classes.join('\n')) throw new UsageError(`${files[i]}: its classes (${c.join(', ')}) are not in the order of ${files[first]}'s (${classes.join(', ')})`);
    }
    // Members tokenizing like the data read its ids; each other tokenizer tokenizes the same texts once more.
    const dataIdentity = tokenizerKey(dataTokenizer);
    const identities = tokenizersOf.map((t) => (t ? tokenizerKey(t) : dataIdentity));
    const differs = identities.findIndex((id) => id !== dataIdentity);
    if (options.fuse && differs >= 0) {
      throw new UsageError(`--fuse: ${files[differs]} tokenizes with ${tokenizersOf[differs]!.file}, not as the data (${dataTokenizer.file}); one fused graph reads one input_ids (leave out --fuse to score the members each on its own ids)`);
    }
    const openSplits = (t: TextTokenizer) => openTextSplits(options.data, options, t, { seed: args.seed, ...(classes ? { classes } : {}) });
    const data = await openSplits(dataTokenizer);
    const splitsOf = new Map<string, TextDatasetSplits>([[dataIdentity, data]]);
    const memberData: (TextDatasetSplits | undefined)[] = [];
    for (const [i, id] of identities.entries()) {
      if (id === dataIdentity) continue;
      if (!splitsOf.has(id)) splitsOf.set(id, await openSplits(tokenizersOf[i]!));
      memberData[i] = splitsOf.get(id);
    }
    memberData.length = files.length;
    const tokenizers: (TokenizerIdentity | undefined)[] = tokenizersOf;
    const { report } = await ensemble({
      models: models as Model[],
      data,
      tokenizers,
      ...(differs >= 0 ? { memberData } : {}),
      aggregator: args.plugin,
      validationFraction: args.validationFraction,
      seed: args.seed,
      ...(args.weights ? { weights: args.weights } : {}),
      ...(options.fuse ? { fuse: true } : {}),
      ...(options.tokenIds === 'int32' || options.tokenIds === 'int64' ? { tokenIds: options.tokenIds } : {}),
      ...(options.output ? { output: options.output } : {}),
      onEvent: args.onEvent,
    });
    if (options.fuse && options.output) {
      const beside = path.join(path.dirname(options.output), 'tokenizer.json');
      if (path.resolve(beside) !== path.resolve(dataTokenizer.file)) await writeFileAtomic(beside, await tokenizerJsonFor(dataTokenizer));
      report.files.push(beside);
      // tokenizer_config.json (pad token, lower-casing) travels with it when the tokenizer has one.
      const config = path.join(path.dirname(dataTokenizer.file), 'tokenizer_config.json');
      const configBeside = path.join(path.dirname(options.output), 'tokenizer_config.json');
      if (existsSync(config) && path.resolve(config) !== path.resolve(configBeside)) {
        await writeFileAtomic(configBeside, await readFile(config));
        report.files.push(configBeside);
      }
    }
    return { report, tokenizer: dataTokenizer.file, memberTokenizers: identities.map((id, i) => (id === dataIdentity ? dataTokenizer.file : tokenizersOf[i]!.file)) };
  } finally {
    await Promise.all(models.map((m) => m?.dispose()));
  }
}
