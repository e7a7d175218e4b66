import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { shrinkray, tempDir } from './helpers.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/datasets/fixtures/text');
const f = (name: string) => path.join(fixtures, name);
const data = `jsonl:${f('train.jsonl')},${f('test.jsonl')}`;
const python = process.env['SHRINKRAY_PYTHON'] ?? '/usr/bin/python3';

/** Debian's onnx.checker (full check) on a file. */
function checkOnnx(file: string): string {
  return execFileSync(python, ['-c', 'import sys, onnx\nonnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\nprint("ok")', file], { encoding: 'utf8' }).trim();
}

function json<T>(run: { code: number; stdout: string; stderr: string }): T {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as T;
}

const evalAccuracy = (model: string): number => json<{ accuracy: number }>(shrinkray(['eval', model, '--data', data, '--json'])).accuracy;

/** A text-cnn student distilled from the fixture teacher on the student tokenizer (a few seconds). */
let student: string;
beforeAll(() => {
  student = tempDir();
  json(shrinkray(['distill', '--teacher', `hf:${f('teacher')}`, '--student', 'text-cnn:16,32/16', '--data', data, '--tokenizer', f('student-tokenizer'), '--epochs', '4', '--batch-size', '32', '--learning-rate', '0.01', '-o', student, '--json']));
}, 120_000);

describe('shrinkray prune on a text student', () => {
  it('--structured: embedding dimensions, Conv1D filters and dense units leave by group; the folder (with tokenizer.json) scores what the report says, in ORT and tfjs', () => {
    const out = tempDir();
    const r = json<{ before: { accuracy: number }; after: { accuracy: number }; groups: { producers: string[]; status: string; channels: { before: number; after: number } }[]; macs: { before: number; after: number }; tokenizer: string; files: string[] }>(
      shrinkray(['prune', student, '--data', data, '--sparsity', '0.5', '--structured', '--finetune-epochs', '2', '--batch-size', '32', '--learning-rate', '0.003', '-o', out, '--json']),
    );
    expect(r.groups.map((g) => `${g.producers.join(',')} ${g.status} ${g.channels.before}->${g.channels.after}`)).toEqual(['embedding pruned 16->8', 'conv pruned 32->16', 'dense_1 pruned 16->8', 'logits blocked 8->8']);
    // L = 32 tokens: conv 32·3·Cin·Cout, dense in·out, embedding 0
    expect(r.macs.before).toBe(32 * 3 * 16 * 32 + 32 * 16 + 16 * 8);
    expect(r.macs.after).toBe(32 * 3 * 8 * 16 + 16 * 8 + 8 * 8);
    expect(r.tokenizer).toBe(path.join(student, 'tokenizer.json'));
    expect(r.files).toContain(path.join(out, 'tokenizer.json'));
    expect(r.before.accuracy).toBeCloseTo(evalAccuracy(path.join(student, 'model.onnx')), 6);
    expect(checkOnnx(path.join(out, 'model.onnx'))).toBe('ok');
    expect(evalAccuracy(path.join(out, 'model.onnx'))).toBeCloseTo(r.after.accuracy, 6);
    expect(evalAccuracy(out)).toBeCloseTo(r.after.accuracy, 6);
    expect(r.after.accuracy).toBeGreaterThan(0.4);
  }, 120_000);

  it('unstructured: the embedding table, Conv1D kernel and dense kernel reach the sparsity; eval of the written ONNX agrees', () => {
    const out = tempDir();
    const r = json<{ after: { accuracy: number }; layers: { layer: string; className: string; sparsity: number }[] }>(
      shrinkray(['prune', path.join(student, 'model.json'), '--data', data, '--sparsity', '0.7', '--finetune-epochs', '2', '--batch-size', '32', '-o', out, '--json']),
    );
    expect(r.layers.map((l) => l.className)).toEqual(['Embedding', 'Conv1D', 'Dense']);
    for (const l of r.layers) expect(l.sparsity).toBeCloseTo(0.7, 2);
    expect(existsSync(path.join(out, 'tokenizer.json'))).toBe(true);
    expect(evalAccuracy(path.join(out, 'model.onnx'))).toBeCloseTo(r.after.accuracy, 6);
  }, 120_000);
});

describe('shrinkray quantize on text models', () => {
  it('static int8 of a text student .onnx calibrated on --data jsonl: within 1 point, tokenizer.json beside OUT.onnx, eval scores what the report says', () => {
    const out = path.join(tempDir(), 'student.int8.onnx');
    const r = json<{ mode: string; before: { accuracy: number; bytes: number }; after: { accuracy: number; bytes: number }; quantized: { opType: string }[]; tokenizer: string; files: string[] }>(
      shrinkray(['quantize', path.join(student, 'model.onnx'), '--data', data, '--mode', 'static', '--no-throughput', '-o', out, '--json']),
    );
    expect(r.mode).toBe('static');
    expect(r.quantized.map((q) => q.opType)).toEqual(expect.arrayContaining(['Gather', 'Conv', 'Gemm']));
    expect(Math.abs(r.after.accuracy - r.before.accuracy)).toBeLessThanOrEqual(0.01);
    expect(r.after.bytes).toBeLessThan(0.4 * r.before.bytes);
    expect(r.files).toEqual([out, path.join(path.dirname(out), 'tokenizer.json')]);
    expect(checkOnnx(out)).toBe('ok');
    expect(evalAccuracy(out)).toBeCloseTo(r.after.accuracy, 6);
    // --no-gather: the embedding table stays float32 (a Gather of the float table, no int8 lookup)
    const floatTables = json<{ quantized: { opType: string }[]; skipped: { opType: string; reason: string }[]; after: { bytes: number } }>(
      shrinkray(['quantize', path.join(student, 'model.onnx'), '--data', data, '--mode', 'static', '--no-gather', '--no-throughput', '-o', path.join(tempDir(), 'm.onnx'), '--json']),
    );
    expect(floatTables.quantized.some((q) => q.opType === 'Gather')).toBe(false);
    expect(floatTables.skipped.find((s) => s.opType === 'Gather' && s.reason.includes('gather: false'))).toBeDefined();
    // every embedding-table Gather the default run quantized is the one kept float, for that reason
    const quantizedGathers = r.quantized.filter((q) => q.opType === 'Gather').length;
    expect(quantizedGathers).toBeGreaterThan(0);
    expect(floatTables.skipped.filter((s) => s.opType === 'Gather' && s.reason === 'embedding tables kept float (gather: false)').length).toBe(quantizedGathers);
    expect(floatTables.after.bytes).toBeGreaterThan(2 * r.after.bytes);
  }, 120_000);

  it('static int8 of hf:DIR fed by its own tokenizer: -o OUTDIR is a transformers.js folder that eval hf:OUTDIR scores as the report says, within 1 point of float', () => {
    const out = tempDir();
    const r = json<{ before: { accuracy: number }; after: { accuracy: number }; tokenizer: string; files: string[] }>(
      shrinkray(['quantize', `hf:${f('teacher')}`, '--data', data, '--mode', 'static', '--calibration-samples', '256', '--no-throughput', '-o', out, '--json']),
    );
    expect(r.tokenizer).toBe(f('teacher/tokenizer.json'));
    expect(r.files).toEqual(expect.arrayContaining([path.join(out, 'config.json'), path.join(out, 'tokenizer.json'), path.join(out, 'onnx', 'model.onnx')]));
    expect(Math.abs(r.after.accuracy - r.before.accuracy)).toBeLessThanOrEqual(0.01);
    expect(checkOnnx(path.join(out, 'onnx', 'model.onnx'))).toBe('ok');
    expect(evalAccuracy(`hf:${out}`)).toBeCloseTo(r.after.accuracy, 6);
    expect(evalAccuracy(`hf:${f('teacher')}`)).toBeCloseTo(r.before.accuracy, 6);
  }, 120_000);

  it('refuses -o naming the hf: folder itself (it would replace the float model), before any work', () => {
    const run = shrinkray(['quantize', `hf:${f('teacher')}`, '--data', data, '-o', f('teacher')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is the model folder itself/);
  });
});
