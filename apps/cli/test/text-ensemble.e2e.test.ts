import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openData, type TextDatasetSplits, TextTokenizer } from '@shrinkray/datasets';
import { OnnxTextModel } from '@shrinkray/onnx-io';
import { initBackend, loadTfjsModel, type Model, type Tensor, TfjsModel } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { readEvents, scalarsOf } from '../../../packages/tensorboard/test/read-events.js';
import { accuracyReference as accuracy, softmaxReference as softmax } from '../../../packages/ensemble/src/testing/reference.test.util.js';
import { shrinkray, tempDir } from './helpers.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/datasets/fixtures/text');
const f = (name: string) => path.join(fixtures, name);
const data = `jsonl:${f('train.jsonl')},${f('test.jsonl')}`;
const teacher = `hf:${f('teacher')}`;

let dir: string;
let bag: string;
let cnn: string;

/** `shrinkray distill` of a small text student from the fixture teacher into `out` (3 s or so). */
function distillStudent(student: string, out: string, extra: string[] = []): void {
  const run = shrinkray(['distill', '--teacher', teacher, '--student', student, '--data', data, '--epochs', '2', '--batch-size', '64', '--learning-rate', '0.02', '-o', out, '--json', ...extra]);
  expect(run.code, run.stderr).toBe(0);
}

/** Independent reference: a member's softmax probabilities, from its own predictions on ids made here. */
async function probabilities(model: Model, ids: Tensor<'int32'>): Promise<Float64Array> {
  const p = softmax(await model.predict(ids));
  await model.dispose();
  return p;
}

beforeAll(() => {
  dir = tempDir('shrinkray-text-ensemble-');
  // Both students read the teacher's WordPiece ids (distill's default tokenizer): one ensemble input.
  bag = path.join(dir, 'bag');
  cnn = path.join(dir, 'cnn');
  distillStudent('text-bag:8', bag);
  distillStudent('text-cnn:8,8', cnn);
}, 120_000);

interface Result {
  members: { model: string; accuracy: number; nll: number; weight: number | null; tokenizer?: string }[];
  ensemble: { accuracy: number; nll: number; ece: number; samples: number };
  aggregator: string;
  files: string[];
  fused: { accuracy: number; maxAbsDiff: number } | null;
  tokenizer: string;
}

describe('shrinkray ensemble on text', () => {
  it('students (tfjs folder, .onnx) + hf:DIR teacher, --fuse: the report matches the members averaged by hand; eval of the written graph scores the same', async () => {
    const out = path.join(dir, 'ensemble', 'ensemble.onnx');
    const logdir = path.join(dir, 'tb');
    const run = shrinkray(['ensemble', bag, path.join(cnn, 'model.onnx'), teacher, '--data', data, '--fuse', '-o', out, '--logdir', logdir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as Result;
    expect(result.aggregator).toBe('mean');
    expect(result.tokenizer).toBe(path.join(bag, 'tokenizer.json'));
    expect(result.files).toEqual([out, path.join(path.dirname(out), 'tokenizer.json')]);

    // Reference: the three members opened here, on ids tokenized here, softmaxed and averaged here.
    await initBackend();
    const tokenizer = await TextTokenizer.load(f('teacher'));
    const splits = (await openData(data, { tokenizer })) as TextDatasetSplits;
    const ids = await splits.test.read(Int32Array.from({ length: splits.test.size }, (_, i) => i));
    const probs = [
      await probabilities(new TfjsModel(await loadTfjsModel(path.join(bag, 'model.json'))), ids),
      await probabilities(await OnnxTextModel.create(path.join(cnn, 'model.onnx'), { padId: tokenizer.padId }), ids),
      await probabilities(await OnnxTextModel.create(f('teacher/onnx/model.onnx'), { padId: tokenizer.padId }), ids),
    ];
    for (const [i, m] of result.members.entries()) expect(m.accuracy).toBeCloseTo(accuracy(probs[i]!, splits.test.labels, 8), 12);
    const mean = probs[0]!.map((_, k) => (probs[0]![k]! + probs[1]![k]! + probs[2]![k]!) / 3);
    expect(result.ensemble.accuracy).toBeCloseTo(accuracy(mean, splits.test.labels, 8), 12);
    expect(result.fused!.maxAbsDiff).toBeLessThan(1e-5);

    // The fused graph: Debian's onnx checker, then `shrinkray eval` on it with the tokenizer written beside it.
    const check = execFileSync('/usr/bin/python3', ['-c', 'import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print("ok")', out], { encoding: 'utf8' });
    expect(check.trim()).toBe('ok');
    const evalRun = shrinkray(['eval', out, '--data', data, '--json']);
    expect(evalRun.code, evalRun.stderr).toBe(0);
    const evaluated = JSON.parse(evalRun.stdout) as { accuracy: number; nll: number; tokenizer: string };
    expect(evaluated.tokenizer).toBe(path.join(path.dirname(out), 'tokenizer.json'));
    expect(evaluated.accuracy).toBe(result.ensemble.accuracy);
    expect(evaluated.nll).toBeCloseTo(result.ensemble.nll, 4);

    // --logdir: the ensemble's and each member's test accuracy, as the report gives them (float32).
    const [eventFile] = readdirSync(logdir);
    const scalars = scalarsOf(readEvents(path.join(logdir, eventFile!)));
    expect(scalars.filter(([t]) => t === 'test/accuracy').map(([, v]) => v)).toEqual([Math.fround(result.ensemble.accuracy)]);
    expect(scalars.filter(([t]) => t === 'test/member_2_accuracy').map(([, v]) => v)).toEqual([Math.fround(result.members[2]!.accuracy)]);
  }, 120_000);

  it('a member with another tokenizer reads the texts tokenized by its own (the mean matches a hand computation); with --fuse it is refused before any work', async () => {
    const other = path.join(dir, 'other');
    distillStudent('text-bag:8', other, ['--tokenizer', f('student-tokenizer'), '--epochs', '1']);
    const run = shrinkray(['ensemble', other, teacher, '--data', data, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as Result;
    expect(result.tokenizer).toBe(path.join(other, 'tokenizer.json'));
    expect(result.members.map((m) => m.tokenizer)).toEqual([path.join(other, 'tokenizer.json'), f('teacher/tokenizer.json')]);
    // Reference: each member on the test texts tokenized here by its own tokenizer.
    await initBackend();
    const own = (await openData(data, { tokenizer: await TextTokenizer.load(other) })) as TextDatasetSplits;
    const teacherIds = (await openData(data, { tokenizer: await TextTokenizer.load(f('teacher')) })) as TextDatasetSplits;
    const all = Int32Array.from({ length: own.test.size }, (_, i) => i);
    const probs = [
      await probabilities(new TfjsModel(await loadTfjsModel(path.join(other, 'model.json'))), await own.test.read(all)),
      await probabilities(await OnnxTextModel.create(f('teacher/onnx/model.onnx')), await teacherIds.test.read(all)),
    ];
    expect(result.members[0]!.accuracy).toBeCloseTo(accuracy(probs[0]!, own.test.labels, 8), 12);
    expect(result.members[1]!.accuracy).toBeCloseTo(accuracy(probs[1]!, own.test.labels, 8), 12);
    expect(result.ensemble.accuracy).toBeCloseTo(accuracy(probs[0]!.map((p, k) => (p + probs[1]![k]!) / 2), own.test.labels, 8), 12);

    const outDir = tempDir('shrinkray-text-ensemble-bad-');
    const fused = shrinkray(['ensemble', other, teacher, '--data', data, '--fuse', '-o', path.join(outDir, 'e.onnx')]);
    expect(fused.code).toBe(2);
    expect(fused.stdout).toBe('');
    expect(fused.stderr.trim().split('\n')).toHaveLength(1);
    expect(fused.stderr).toContain(`shrinkray: error: --fuse: ${teacher} tokenizes with ${f('teacher/tokenizer.json')}, not as the data (${path.join(other, 'tokenizer.json')}); one fused graph reads one input_ids`);
    expect(readdirSync(outDir)).toEqual([]);
  }, 60_000);
});
