import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readEvents, scalarsOf } from '../../../packages/tensorboard/test/read-events.js';
import { shrinkray, tempDir } from './helpers.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/datasets/fixtures/text');
const f = (name: string) => path.join(fixtures, name);
const data = `jsonl:${f('train.jsonl')},${f('test.jsonl')}`;
// PyTorch's accuracy of the teacher on the same test split, written by make-text-fixtures.py.
const torchAccuracy: number = JSON.parse(readFileSync(f('teacher-logits.json'), 'utf8')).testAccuracy;

describe('shrinkray eval / distill on text', () => {
  it('eval hf:DIR: the ONNX teacher on its own tokenizer scores what PyTorch scored', () => {
    const run = shrinkray(['eval', `hf:${f('teacher')}`, '--data', data, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { accuracy: number; samples: number };
    expect(result.samples).toBe(readFileSync(f('test.jsonl'), 'utf8').trim().split('\n').length);
    expect(result.accuracy).toBeCloseTo(torchAccuracy, 6);
  });

  it('distill hf:DIR → text-bag with its own tokenizer and a transfer set; eval of the written ONNX student agrees', () => {
    const out = tempDir();
    const logdir = tempDir();
    const run = shrinkray(['distill', '--teacher', `hf:${f('teacher')}`, '--student', 'text-bag:16', '--data', data, '--tokenizer', f('student-tokenizer'), '--labelled', '500', '--epochs', '3', '--batch-size', '32', '--learning-rate', '0.01', '--baseline', '--logdir', logdir, '-o', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    // --logdir on the text path: the event file's final student accuracy is the report's (as float32).
    const [eventFile] = readdirSync(logdir);
    const accuracy = scalarsOf(readEvents(path.join(logdir, eventFile!))).filter(([t]) => t === 'test/accuracy');
    expect(accuracy.map(([, v]) => v)).toEqual([Math.fround((JSON.parse(run.stdout) as { student: { accuracy: number } }).student.accuracy)]);
    const report = JSON.parse(run.stdout) as { student: { accuracy: number; params: number }; baseline: { accuracy: number }; rows: { labelled: number; unlabelled: number }; files: string[] };
    expect(report.rows).toMatchObject({ labelled: 500, unlabelled: 1000 });
    expect(report.student.accuracy).toBeGreaterThan(0.2);
    expect(report.baseline.accuracy).toBeGreaterThan(0);
    for (const file of ['model.json', 'model.onnx', 'tokenizer.json']) expect(existsSync(path.join(out, file)), file).toBe(true);
    const evalRun = shrinkray(['eval', path.join(out, 'model.onnx'), '--data', data, '--json']);
    expect(evalRun.code, evalRun.stderr).toBe(0);
    expect((JSON.parse(evalRun.stdout) as { accuracy: number }).accuracy).toBeCloseTo(report.student.accuracy, 2);
    // The same texts as csv: (a text header: id,text,label) with no text option: a text job on the tokenizer beside the model.
    const csvRun = shrinkray(['eval', path.join(out, 'model.onnx'), '--data', `csv:${f('train.csv')},${f('test.csv')}`, '--json']);
    expect(csvRun.code, csvRun.stderr).toBe(0);
    expect(JSON.parse(csvRun.stdout)).toMatchObject({ accuracy: (JSON.parse(evalRun.stdout) as { accuracy: number }).accuracy, tokenizer: path.join(out, 'tokenizer.json') });
    const tfjsRun = shrinkray(['eval', path.join(out, 'model.json'), '--data', data, '--json']);
    expect(tfjsRun.code, tfjsRun.stderr).toBe(0);
    expect((JSON.parse(tfjsRun.stdout) as { accuracy: number }).accuracy).toBeCloseTo(report.student.accuracy, 6);
    // The output folder (a tfjs model folder with its tokenizer) stands for its model.json.
    const folderRun = shrinkray(['eval', out, '--data', data, '--json']);
    expect(folderRun.code, folderRun.stderr).toBe(0);
    expect((JSON.parse(folderRun.stdout) as { accuracy: number }).accuracy).toBe((JSON.parse(tfjsRun.stdout) as { accuracy: number }).accuracy);
  }, 300_000);

  it('distill hf:DIR → text-transformer:1,2,16: the ONNX and tfjs students written score what the report says', () => {
    const out = tempDir();
    const run = shrinkray(['distill', '--teacher', `hf:${f('teacher')}`, '--student', 'text-transformer:1,2,16', '--data', data, '--tokenizer', f('student-tokenizer'), '--labelled', '600', '--epochs', '2', '--batch-size', '32', '--learning-rate', '0.01', '-o', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { student: { spec: string; accuracy: number; params: number } };
    // Embedding 600x16, positions 32x16, one block (2 LN, 4 projections, FFN 16->32->16), final LN, logits 16x8.
    expect(report.student).toMatchObject({ spec: 'text-transformer:1,2,16', params: 600 * 16 + 32 * 16 + (4 * 16 + 4 * (16 * 16 + 16) + 16 * 32 + 32 + 32 * 16 + 16) + 2 * 16 + 16 * 8 + 8 });
    // 8 classes: chance is 0.125.
    expect(report.student.accuracy).toBeGreaterThan(0.3);
    const onnxRun = shrinkray(['eval', path.join(out, 'model.onnx'), '--data', data, '--json']);
    expect(onnxRun.code, onnxRun.stderr).toBe(0);
    expect((JSON.parse(onnxRun.stdout) as { accuracy: number }).accuracy).toBeCloseTo(report.student.accuracy, 2);
    const tfjsRun = shrinkray(['eval', path.join(out, 'model.json'), '--data', data, '--json']);
    expect(tfjsRun.code, tfjsRun.stderr).toBe(0);
    expect((JSON.parse(tfjsRun.stdout) as { accuracy: number }).accuracy).toBeCloseTo(report.student.accuracy, 6);
  }, 300_000);

  it('eval MODEL.onnx --data csv:… --text-column/--tokenizer is a text job: the teacher ONNX scores what PyTorch scored', () => {
    const run = shrinkray(['eval', f('teacher/onnx/model.onnx'), '--data', `csv:${f('train.csv')},${f('test.csv')}`, '--text-column', 'text', '--tokenizer', f('teacher'), '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { accuracy: number; samples: number; tokenizer: string };
    expect(result.samples).toBe(readFileSync(f('test.csv'), 'utf8').trim().split('\n').length - 1);
    expect(result.accuracy).toBeCloseTo(torchAccuracy, 6);
    expect(result.tokenizer).toBe(f('teacher/tokenizer.json'));
  });

  it('quantize --mode dynamic of the transformer teacher: its MatMuls go int8 and the folder scores what the float teacher scores', () => {
    const dir = tempDir();
    cpSync(f('teacher'), dir, { recursive: true });
    const onnx = path.join(dir, 'onnx', 'model.onnx');
    const q = shrinkray(['quantize', f('teacher/onnx/model.onnx'), '--mode', 'dynamic', '--no-throughput', '-o', onnx, '--json']);
    expect(q.code, q.stderr).toBe(0);
    const report = JSON.parse(q.stdout) as { quantized: { opType: string }[]; before: { bytes: number }; after: { bytes: number } };
    expect(report.quantized.filter((n) => n.opType === 'MatMul').length).toBeGreaterThanOrEqual(4);
    expect(report.after.bytes).toBeLessThan(report.before.bytes);
    const float = JSON.parse(shrinkray(['eval', `hf:${f('teacher')}`, '--data', data, '--json']).stdout) as { accuracy: number; nll: number };
    const int8 = shrinkray(['eval', `hf:${dir}`, '--data', data, '--json']);
    expect(int8.code, int8.stderr).toBe(0);
    const r = JSON.parse(int8.stdout) as { accuracy: number; nll: number };
    expect(Math.abs(r.accuracy - float.accuracy)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(r.nll - float.nll)).toBeLessThan(0.05);
  }, 120_000);

  it('distill on text refuses the options it cannot honour (hint and additive losses), before any work', () => {
    const run = shrinkray(['distill', '--teacher', `hf:${f('teacher')}`, '--student', 'text-bag:16', '--data', data, '--loss', 'additive', '--lambda', '1', '-o', tempDir()]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/--loss, --lambda: not available for text distillation/);
  });

  it('an ONNX text model without a tokenizer beside it or --tokenizer fails naming the tokenizer', () => {
    const run = shrinkray(['eval', f('teacher/onnx/model.onnx'), '--data', data, '--json']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/tokenizer/);
  });
});
