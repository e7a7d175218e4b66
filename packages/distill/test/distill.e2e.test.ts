import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadMnist, seededHoldout } from '@shrinkray/datasets';
import { OnnxModel } from '@shrinkray/onnx-io';
import { accuracy, type Dataset, initBackend, loadTfjsModel, type Tensor, TfjsModel } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildStudent, distill, saveStudent, trainAlone } from '../src/index.js';

// A small real task: 2,000 of the embedded MNIST digits for training, 1,000 test digits.
let train: Dataset;
let test: Dataset;

beforeAll(async () => {
  await initBackend();
  const mnist = await loadMnist();
  train = mnist.train.subset(seededHoldout(mnist.train, 0.25, 1).held); // 2,000 digits, class-balanced
  test = mnist.test.subset(Int32Array.from({ length: 1000 }, (_, i) => i));
});

describe('distill on real MNIST digits (e2e)', () => {
  it('a tfjs teacher, exported to ONNX, teaches an MLP student that learns well above chance; the student saves as tfjs + ONNX', async () => {
    expect(train.size).toBe(2000);
    const teacherModel = buildStudent('mlp:128', { inputShape: [28, 28, 1], numClasses: 10, seed: 7, name: 'teacher' });
    const teacherRun = await trainAlone({ student: teacherModel, data: train, test, epochs: 6, batchSize: 64, seed: 7 });
    expect(teacherRun.accuracy!).toBeGreaterThan(0.85);

    const dir = await mkdtemp(path.join(tmpdir(), 'distill-e2e-'));
    const teacherFiles = await saveStudent(teacherModel, path.join(dir, 'teacher'), { onnxFileName: 'teacher.onnx' });

    // The ONNX teacher runs in ONNX Runtime; its logits are cached once.
    const { model: student, report: summary } = await distill({
      teacher: teacherFiles.onnx!,
      student: 'mlp:32',
      data: { train, test },
      temperature: 4,
      alpha: 0.7,
      epochs: 6,
      batchSize: 64,
      seed: 3,
    });
    expect(summary.teacher.accuracy!).toBeCloseTo(teacherRun.accuracy!, 2);
    expect(summary.student.accuracy!).toBeGreaterThan(0.8); // chance is 0.1
    expect(summary.agreement!).toBeGreaterThan(0.8);
    expect(summary.student.params).toBe(784 * 32 + 32 + 32 * 10 + 10);
    expect(summary.backend).toMatch(/^(wasm|cpu|tensorflow)$/);
    expect(summary.samplesPerSecond).toBeGreaterThan(0);

    // Saved student: the tfjs files and the ONNX file (run by ORT) agree with the trained model.
    const saved = await saveStudent(student, path.join(dir, 'student'));
    const testX = (await test.read(Int32Array.from({ length: test.size }, (_, i) => i))) as Tensor<'float32'>;
    const want = await new TfjsModel(student).predict(testX);
    const fromTfjs = await new TfjsModel(await loadTfjsModel(saved.tfjs[0]!)).predict(testX);
    const ort = await OnnxModel.create(saved.onnx!);
    const fromOnnx = await ort.predict(testX);
    await ort.dispose();
    let maxDiff = 0;
    for (let i = 0; i < want.size; i++) maxDiff = Math.max(maxDiff, Math.abs(want.data[i]! - fromOnnx.data[i]!), Math.abs(want.data[i]! - fromTfjs.data[i]!));
    expect(maxDiff).toBeLessThan(1e-3);
    expect(accuracy(fromOnnx, test.labels)).toBeCloseTo(summary.student.accuracy!, 2);
  });

  it('the hint loss (FitNets) matches a tfjs teacher layer, then distils; the MLP student still learns', async () => {
    const teacherModel = buildStudent('mlp:64', { inputShape: [28, 28, 1], numClasses: 10, seed: 9, name: 'teacher' });
    await trainAlone({ student: teacherModel, data: train, epochs: 4, batchSize: 64, seed: 9 });
    const stages: string[] = [];
    const { report: summary } = await distill({
      teacher: teacherModel,
      student: 'mlp:32',
      data: { train, test },
      loss: 'hint',
      lossOptions: { hintEpochs: 2 },
      epochs: 4,
      batchSize: 64,
      seed: 4,
      onEvent: (e) => {
        if (e.type === 'stage') stages.push(e.stage);
      },
    });
    expect(stages).toEqual(['hint', 'distill']);
    expect(summary.loss).toBe('hint');
    expect(summary.student.accuracy!).toBeGreaterThan(0.75);
  });
});
