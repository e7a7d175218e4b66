import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { loadMnist } from '@shrinkray/datasets';
import { buildStudent, saveStudent, trainAlone } from '@shrinkray/distill';
import { OnnxModel } from '@shrinkray/onnx-io';
import { accuracy, initBackend } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { arrays } from './arrays.util.js';
import { shrinkray, tempDir } from './helpers.js';

let dir: string;
let teacherOnnx: string;
let teacherJson: string;
let teacherAccuracy: number;

beforeAll(async () => {
  await initBackend();
  dir = tempDir('shrinkray-distill-');
  const mnist = await loadMnist();
  const { train, test } = mnist;
  const teacher = buildStudent('mlp:64', { inputShape: [28, 28, 1], numClasses: 10, seed: 1, name: 'teacher' });
  const run = await trainAlone({ student: teacher, data: train.subset(Int32Array.from({ length: 3000 }, (_, i) => i)), test, epochs: 4, batchSize: 64, seed: 1 });
  teacherAccuracy = run.accuracy!;
  const saved = await saveStudent(teacher, path.join(dir, 'teacher'), { onnxFileName: 'teacher.onnx' });
  teacherOnnx = saved.onnx!;
  teacherJson = saved.tfjs[0]!;
});

interface Result {
  teacher: { accuracy: number };
  student: { accuracy: number; params: number };
  baseline: { accuracy: number } | null;
  backend: string;
  throughput: { samplesPerSecond: number };
  files: string[];
  rows: { labelled: number; unlabelled: number; test: number };
}

describe('shrinkray distill', () => {
  it('distils an ONNX teacher into a spec student with --baseline; --json has the CLI.md keys; tfjs + ONNX written', async () => {
    const out = path.join(dir, 'out');
    const run = shrinkray(['distill', '--teacher', teacherOnnx, '--student', 'mlp:16', '--data', 'mnist', '--epochs', '2', '--batch-size', '64', '--baseline', '--seed', '3', '--json', '-o', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as Result;
    // The teacher's accuracy is measured independently (tfjs, above) and through ORT by the CLI.
    expect(r.teacher.accuracy).toBeCloseTo(teacherAccuracy, 2);
    expect(r.student.accuracy).toBeGreaterThan(0.8);
    expect(r.baseline!.accuracy).toBeGreaterThan(0.5);
    expect(r.student.params).toBe(784 * 16 + 16 + 16 * 10 + 10);
    expect(r.backend).toMatch(/^(wasm|cpu|tensorflow)$/);
    expect(r.throughput.samplesPerSecond).toBeGreaterThan(0);
    expect(r.rows).toEqual({ labelled: 8000, unlabelled: 0, test: 2000 });
    expect(r.files.map((f) => path.basename(f)).sort()).toEqual(['model.json', 'model.onnx', 'weights.bin']);
    expect(readdirSync(out).sort()).toEqual(['model.json', 'model.onnx', 'weights.bin']);
    // The written ONNX student reproduces the reported accuracy in ONNX Runtime.
    const test = await arrays((await loadMnist()).test);
    const ort = await OnnxModel.create(path.join(out, 'model.onnx'));
    expect(accuracy(await ort.predict(test.x), test.y)).toBeCloseTo(r.student.accuracy, 3);
    await ort.dispose();
  });

  it('uses a tfjs teacher with --labelled (few labels + a transfer set) and prints a human report', () => {
    const out = path.join(dir, 'out-transfer');
    const run = shrinkray(['distill', '--teacher', teacherJson, '--student', 'mlp:16', '--data', 'mnist', '--labelled', '500', '--epochs', '1', '--optimizer', 'adamw', '--weight-decay', '0.05', '-o', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/data {7}mnist: 500 labelled \+ 7500 unlabelled training rows, 2000 test rows/);
    expect(run.stdout).toMatch(/samples\/s on (wasm|cpu|tensorflow)/);
    expect(existsSync(path.join(out, 'model.onnx'))).toBe(true);
  });

  it('bad input: one line on stderr, non-zero exit, no output directory', () => {
    const cases: [string[], RegExp, number][] = [
      [['--alpha', '1.5'], /^shrinkray: error: --alpha 1\.5: expected a number in \[0, 1\]\n$/, 2],
      [['--temperature', '0'], /^shrinkray: error: --temperature 0: expected a number > 0\n$/, 2],
      [['--loss', 'nope'], /^shrinkray: error: unknown distillation loss "nope"; registered: hinton, additive, hint\n$/, 1],
      [['--optimizer', 'lbfgs'], /^shrinkray: error: --optimizer lbfgs: expected one of adam, adamw, sgd, momentum, rmsprop\n$/, 2],
      [['--optimizer', 'adamw', '--weight-decay', '1.5'], /^shrinkray: error: --weight-decay 1\.5: expected a number in \[0, 1\)\n$/, 2],
      [['--weight-decay', '0.1'], /^shrinkray: error: --weight-decay applies to --optimizer adamw only \(got --optimizer adam\)\n$/, 2],
      [['--student', 'mlp:0'], /^shrinkray: error: student spec 'mlp:0': hidden sizes must be positive integers, found '0'\n$/, 1],
    ];
    for (const [extra, message, code] of cases) {
      const out = path.join(dir, `bad-${extra.join('')}`);
      const args = ['distill', '--teacher', teacherOnnx, '--student', 'mlp:8', '--data', 'mnist', '--epochs', '1', '-o', out];
      for (let i = 0; i < extra.length; i += 2) {
        const at = args.indexOf(extra[i]!);
        if (at >= 0) args[at + 1] = extra[i + 1]!;
        else args.push(extra[i]!, extra[i + 1]!);
      }
      const run = shrinkray(args);
      expect(run.stderr, extra.join(' ')).toMatch(message);
      expect(run.code).toBe(code);
      expect(run.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
    }
  });
});
