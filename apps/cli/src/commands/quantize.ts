import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { openData } from '@shrinkray/datasets';
import { decodeOnnx, runtimeInputs, shapeOf } from '@shrinkray/onnx-io';
import { calibrationMethods, type QuantizeMode, type QuantizeReport, quantize } from '@shrinkray/quantize';
import { type DeclaredShape, writeFileAtomic } from '@shrinkray/tensor-core';
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { addDataOptions, type DataCliOptions, dataHelp, openDataOptions } from '../data-options.js';
import { emit, type GlobalOptions, type Io, UsageError } from '../io.js';
import { createProgress } from '../progress.js';
import { addTextOptions, isTextJob, isTextModelFolder, openStudentText, openTeacherText, refuseTextOptions, type TextCliOptions } from './text.js';

/**
 * The `--json` result of `shrinkray quantize` (CLI.md keys: `before.accuracy`, `after.accuracy`,
 * `before.bytes`, `after.bytes`, `quantized[]`, `skipped[]`, `files`).
 */
export interface QuantizeCliResult {
  model: string;
  data: string | null;
  mode: QuantizeMode;
  calibration: string | null;
  calibrationSamples: number | null;
  perChannel: boolean;
  before: { accuracy: number | null; bytes: number; gzipBytes: number; samplesPerSecond: Record<string, number> };
  after: { accuracy: number | null; bytes: number; gzipBytes: number; samplesPerSecond: Record<string, number> };
  /** ORT throughput ratio after/before per batch size. */
  speedup: Record<string, number>;
  quantized: QuantizeReport['quantized'];
  skipped: QuantizeReport['skipped'];
  /** ORT's optimised graph of the written model: op counts and the int8 kernels it runs. */
  fused: QuantizeReport['fused'];
  opsetUpgradedFrom: number | null;
  clamped: number | null;
  sensitivity: QuantizeReport['sensitivity'];
  /** Text models: the tokenizer.json the token ids came from, else null. */
  tokenizer: string | null;
  files: string[];
}

interface QuantizeCliOptions extends DataCliOptions, TextCliOptions {
  data?: string;
  mode?: string;
  calibration: string;
  calibrationSamples: string;
  perChannel?: boolean;
  perTensor?: boolean;
  exclude: string[];
  sensitivity?: string | boolean;
  throughput: boolean;
  output: string;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function pct(v: number | null): string {
  return v === null ? '-' : `${(v * 100).toFixed(2)}%`;
}

function humanReport(r: QuantizeCliResult): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const lines = [
    `model      ${r.model}  (${r.mode}${r.calibration ? `, ${r.calibration} calibration on ${r.calibrationSamples} examples` : ''}${r.mode !== 'fp16' ? `, ${r.perChannel ? 'per-channel' : 'per-tensor'} weights` : ''})`,
    `accuracy   ${pct(r.before.accuracy)} -> ${pct(r.after.accuracy)}${r.data ? `  (${r.data} test split)` : ''}`,
    `size       ${n(r.before.bytes)} -> ${n(r.after.bytes)} bytes (${(r.after.bytes / r.before.bytes).toFixed(3)}x), gzip ${n(r.before.gzipBytes)} -> ${n(r.after.gzipBytes)}`,
    ...Object.entries(r.speedup).map(([b, s]) => `ORT        batch ${b}: ${n(Math.round(r.before.samplesPerSecond[b] ?? 0))} -> ${n(Math.round(r.after.samplesPerSecond[b] ?? 0))} samples/s (${s.toFixed(2)}x)`),
    `quantized  ${r.quantized.length} nodes${r.fused ? `; ORT runs ${r.fused.int8Nodes.length} int8 kernels (${[...new Set(r.fused.int8Nodes.map((f) => f.opType))].join(', ')})` : ''}`,
    ...r.skipped.map((s) => `  float    ${s.node} (${s.opType}): ${s.reason}`),
    ...(r.sensitivity ?? []).map((s) => `  ${s.flagged ? 'FLAGGED' : 'layer  '}  ${s.node.padEnd(28)} accuracy ${pct(s.accuracy)} (${s.accuracyDrop > 0 ? '-' : '+'}${Math.abs(s.accuracyDrop).toFixed(2)} pts), output error ${s.outputError.toFixed(4)}`),
    ...(r.clamped ? [`clamped    ${r.clamped} values beyond float16's range`] : []),
    ...r.files.map((f) => `wrote ${f}`),
  ];
  return lines.join('\n');
}

async function declaredInput(file: string): Promise<DeclaredShape | undefined> {
  const model = decodeOnnx(await readFile(file), { name: file });
  const input = runtimeInputs(model.graph)[0];
  const shape = input ? shapeOf(input) : undefined;
  return shape?.map((d, i) => (i === 0 || typeof d !== 'number' ? null : d));
}

/**
 * Writes `dir` as a copy of the transformers.js folder `source` (its top-level files: config.json,
 * tokenizer.json, …) with `onnx/model.onnx` replaced by `onnx`; every file atomically. Returns the paths.
 */
async function writeModelFolder(source: string, dir: string, onnx: Uint8Array): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(source, { withFileTypes: true })) {
    if (!entry.isFile() || entry.name.toLowerCase().endsWith('.onnx')) continue;
    const target = path.join(dir, entry.name);
    await writeFileAtomic(target, await readFile(path.join(source, entry.name)));
    files.push(target);
  }
  const model = path.join(dir, 'onnx', 'model.onnx');
  await writeFileAtomic(model, onnx);
  return [...files, model];
}

/**
 * `shrinkray quantize <model.onnx> --data D [--mode static|dynamic|fp16] [...] -o OUT.onnx`: int8 or
 * float16 ONNX model (`@shrinkray/quantize`), written atomically after every check passed. Text
 * models: a student `.onnx` with text data (its tokenizer.json is written beside OUT.onnx), or a
 * transformers.js folder `hf:DIR` fed by its own tokenizer (`-o OUTDIR` writes a copy of the folder).
 */
export function registerQuantize(program: Command, io: () => Io, globals: () => GlobalOptions): void {
  const command = addDataOptions(program.command('quantize'))
    .description('quantize an ONNX model: static int8 (QDQ, calibrated on the data), dynamic int8, or float16')
    .argument('<model>', '.onnx file, or a transformers.js text model folder (hf:DIR)')
    .option('--data <spec>', `calibration (train split) and evaluation (test split) data: ${dataHelp()}`)
    .option('--mode <mode>', 'static | dynamic | fp16 (default: static when the model has a Conv, else dynamic)')
    .option('--calibration <method>', `static: ${calibrationMethods.list().join(', ')} (or a plugin's)`, 'minmax')
    .option('--calibration-samples <n>', 'static: examples run for calibration', '512')
    .option('--per-channel', 'int8 weights with one scale per output channel (the default)')
    .option('--per-tensor', 'int8 weights with one scale per tensor')
    .option('--exclude <node-or-op>', 'leave this node (by name) or op type in float32 (repeatable)', collect, [])
    .option('--sensitivity [n]', 'per-layer report: accuracy and output error with only that layer quantized, on n test examples (default 1000)')
    .option('--no-throughput', 'skip the ORT throughput comparison')
    .option('--no-gather', 'int8 modes: keep embedding tables (Gather of a constant table) in float32')
    .requiredOption('-o, --output <file>', 'output .onnx file (for hf:DIR: a folder, written as a copy of DIR with the quantized onnx/model.onnx)');
  addTextOptions(command).action(async (modelArg: string, options: QuantizeCliOptions & { gather: boolean }) => {
      const out = io();
      const seed = globals().seed ?? 0;
      const folder = await isTextModelFolder(modelArg);
      if (!folder && !existsSync(modelArg)) throw new UsageError(`${modelArg}: no such file`);
      if (!folder && !modelArg.toLowerCase().endsWith('.onnx')) throw new UsageError(`${modelArg}: expected an .onnx file (export a tfjs model with shrinkray export first)`);
      const folderOutput = folder && !options.output.toLowerCase().endsWith('.onnx');
      const sourceDir = modelArg.startsWith('hf:') ? modelArg.slice('hf:'.length) : modelArg;
      if (folderOutput && path.resolve(options.output) === path.resolve(sourceDir)) {
        throw new UsageError(`-o ${options.output}: is the model folder itself; write the quantized copy to another folder`);
      }
      if (options.mode !== undefined && !['static', 'dynamic', 'fp16'].includes(options.mode)) throw new UsageError(`--mode ${options.mode}: expected static, dynamic or fp16`);
      if (options.perChannel && options.perTensor) throw new UsageError('--per-channel and --per-tensor exclude each other');
      const samples = Number(options.calibrationSamples);
      if (!Number.isInteger(samples) || samples < 1) throw new UsageError(`--calibration-samples ${options.calibrationSamples}: expected a positive integer`);
      let sensitivity: number | false = false;
      if (options.sensitivity !== undefined) {
        sensitivity = options.sensitivity === true ? 1000 : Number(options.sensitivity);
        if (!Number.isInteger(sensitivity) || sensitivity < 1) throw new UsageError(`--sensitivity ${options.sensitivity}: expected a positive integer`);
      }
      if (!folderOutput && !options.output.toLowerCase().endsWith('.onnx')) throw new UsageError(`-o ${options.output}: expected an .onnx file name (or a folder for a hf:DIR model)`);
      calibrationMethods.get(options.calibration);
      // A transformers.js folder: its ONNX file, fed by its own tokenizer in its class order.
      const teacher = folder ? await openTeacherText(modelArg, options.data, options, seed) : undefined;
      const modelPath = teacher?.file ?? modelArg;
      const inputShape = await declaredInput(modelPath);
      // A text student (.onnx of token ids) with text data: its tokenizer (--tokenizer, else the one beside it).
      const textStudent = !teacher && options.data !== undefined && (await isTextJob(undefined, options.data, options));
      if (!teacher && !textStudent) refuseTextOptions(options);
      const student = textStudent && options.data ? await openStudentText(modelPath, options.data, options, { sequenceLength: typeof inputShape?.[1] === 'number' ? inputShape[1] : null, seed }) : undefined;
      const tokenizer = teacher?.tokenizer ?? student?.tokenizer;
      const data = teacher?.splits ?? student?.splits ?? (options.data ? await openData(options.data, openDataOptions(options, { inputShape, seed })) : undefined);
      const progress = createProgress(out);
      let phase = '';
      const step = (label: string, done: number, total: number, info: string): void => {
        if (phase !== label) progress.start(label, total);
        phase = label;
        progress.update(done, info);
      };
      const { bytes, report: r } = await quantize({
        model: modelPath,
        ...(data ? { data } : {}),
        ...(options.mode ? { mode: options.mode as QuantizeMode } : {}),
        calibration: options.calibration,
        calibrationSamples: samples,
        perChannel: !options.perTensor,
        exclude: options.exclude,
        gather: options.gather,
        ...(tokenizer ? { padId: tokenizer.padId } : {}),
        sensitivity,
        throughput: options.throughput ? [1, 64] : false,
        seed,
        onEvent: (e) => {
          if (e.type === 'calibrate') step('calibrate', e.done, e.total, '');
          else if (e.type === 'sensitivity') step('sensitivity', e.done, e.total, e.node);
        },
      });
      progress.stop();
      const files = folderOutput && teacher ? await writeModelFolder(teacher.dir, options.output, bytes) : [options.output];
      if (!folderOutput) await writeFileAtomic(options.output, bytes);
      if (student) {
        // the tokenizer travels with the quantized student, so `shrinkray eval OUT.onnx` finds it
        const copy = path.join(path.dirname(options.output), 'tokenizer.json');
        if (path.resolve(copy) !== path.resolve(student.tokenizer.file)) await writeFileAtomic(copy, await readFile(student.tokenizer.file));
        files.push(copy);
      }
      const perBatch = (pick: (t: NonNullable<QuantizeReport['throughput']>[number]) => number) => Object.fromEntries((r.throughput ?? []).map((t) => [String(t.batch), pick(t)]));
      const result: QuantizeCliResult = {
        model: modelPath,
        data: options.data ?? null,
        mode: r.mode,
        calibration: r.calibration,
        calibrationSamples: r.calibrationSamples,
        perChannel: r.perChannel,
        before: { accuracy: r.accuracy?.before ?? null, bytes: r.bytes.before.bytes, gzipBytes: r.bytes.before.gzipBytes, samplesPerSecond: perBatch((t) => t.before) },
        after: { accuracy: r.accuracy?.after ?? null, bytes: r.bytes.after.bytes, gzipBytes: r.bytes.after.gzipBytes, samplesPerSecond: perBatch((t) => t.after) },
        speedup: perBatch((t) => t.speedup),
        quantized: r.quantized,
        skipped: r.skipped,
        fused: r.fused,
        opsetUpgradedFrom: r.opsetUpgradedFrom,
        clamped: r.clamped,
        sensitivity: r.sensitivity,
        tokenizer: tokenizer?.file ?? null,
        files,
      };
      emit(out, globals(), result, () => humanReport(result));
    });
}
