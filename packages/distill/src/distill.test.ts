import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, DataError, Dataset, initBackend, PluginError, Rng, Tensor, TfjsModel, tf, tfl, UNLABELLED } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DistillEvent, type DistillOptions, distill } from './distill.js';
import { TeacherStudentMismatchError } from './errors/teacher-student-mismatch-error.js';

beforeAll(async () => {
  await initBackend();
});

/** A fixed linear "teacher": class = argmax of W·x over 3 classes, 8 inputs. */
function teacherModel(classes = 3, inputs = 8): tfl.LayersModel {
  const m = tfl.sequential({ layers: [tfl.layers.dense({ units: classes, inputShape: [inputs], kernelInitializer: tfl.initializers.glorotUniform({ seed: 11 }) })] });
  const w = m.getWeights();
  m.setWeights([tf.mul(w[0]!, 6), w[1]!]);
  return m;
}

function inputs(n: number, seed: number, width = 8): Tensor<'float32'> {
  const rng = new Rng(seed);
  return new Tensor('float32', [n, width], Float32Array.from({ length: n * width }, () => rng.normal()));
}

/** `n` examples, all labelled class 0 (or unlabelled). */
function data(n: number, seed: number, label = 0): Dataset {
  return Dataset.fromArrays(inputs(n, seed), new Int32Array(n).fill(label), { name: `data${seed}`, numClasses: 3 });
}

/** `n` examples labelled with the teacher's class. */
async function labelled(teacher: tfl.LayersModel, n: number, seed: number): Promise<Dataset> {
  const x = inputs(n, seed);
  const logits = await new TfjsModel(teacher).predict(x);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = logits.data.subarray(i * 3, i * 3 + 3);
    y[i] = row.indexOf(Math.max(...row));
  }
  return Dataset.fromArrays(x, y, { name: `labelled${seed}`, numClasses: 3 });
}

async function errorOf(options: DistillOptions): Promise<{ error: unknown; events: DistillEvent[] }> {
  const events: DistillEvent[] = [];
  const error = await distill({ ...options, onEvent: (e) => events.push(e) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, events };
}

describe('distill: typed errors before any training', () => {
  const base = (): DistillOptions => ({ teacher: teacherModel(), student: 'mlp:4', data: { train: data(10, 1) }, epochs: 1, batchSize: 4 });

  it.each([
    ['τ = 0', { temperature: 0 }, /temperature: must be a positive number \(τ > 0\), got 0/],
    ['τ < 0', { temperature: -1 }, /temperature/],
    ['α > 1', { alpha: 1.5 }, /alpha: must be in \[0, 1\], got 1.5/],
    ['α < 0', { alpha: -0.1 }, /alpha/],
    ['λ < 0', { loss: 'additive', lambda: -1 }, /lambda: must be a non-negative number/],
    ['α with additive', { loss: 'additive', alpha: 0.5 }, /weighted by lambda, not alpha/],
  ] as const)('%s -> ConfigError', async (_name, patch, message) => {
    const { error, events } = await errorOf({ ...base(), ...patch });
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect(events.filter((e) => e.type === 'train')).toEqual([]);
  });

  it('a bad validation fraction, resume without a checkpoint dir -> ConfigError', async () => {
    const es = await errorOf({ ...base(), earlyStopping: { monitor: 'val_loss', patience: 1 }, validationFraction: 1 });
    expect((es.error as Error).message).toBe('validationFraction: must be in (0, 1), got 1');
    const resume = await errorOf({ ...base(), resume: true });
    expect((resume.error as Error).message).toBe('resume: needs checkpointDir');
  });

  it('the hint loss with a teacher that is not a tfjs model -> ConfigError before the student trains', async () => {
    const { error, events } = await errorOf({ ...base(), loss: 'hint', teacher: { logits: new Tensor('float32', [10, 3], new Float32Array(30)), name: 'cached' } });
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/'hint' matches intermediate layers and needs a single tfjs teacher; cached is not one/);
    expect(events.filter((e) => e.type === 'train')).toEqual([]);
  });

  it('unknown loss -> PluginError listing the registered ones', async () => {
    const { error } = await errorOf({ ...base(), loss: 'kl' });
    expect(PluginError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe('unknown distillation loss "kl"; registered: hinton, additive, hint');
  });

  it('empty data, data of another class count than the teacher, unlabelled test data -> typed errors naming the split', async () => {
    const empty = await errorOf({ ...base(), data: { train: Dataset.fromArrays(new Tensor('float32', [0, 8], new Float32Array(0)), new Int32Array(0), { name: 'none', numClasses: 3 }) } });
    expect(ConfigError.isInstance(empty.error)).toBe(true);
    expect((empty.error as Error).message).toBe('data.train: is empty (0 examples in none)');
    // A label 3 in a 3-class teacher's training data: the Dataset layer's check, the same in every driver.
    const four = Dataset.fromArrays(inputs(10, 1), Int32Array.from({ length: 10 }, (_, i) => (i === 7 ? 3 : 0)), { name: 'four' });
    const range = await errorOf({ ...base(), data: { train: four } });
    expect(DataError.isInstance(range.error)).toBe(true);
    expect((range.error as Error).message).toBe('four: the data has 4 classes but model teacher sequential_1 outputs 3'.replace('sequential_1', (range.error as Error).message.match(/teacher (\S+)/)![1]!));
    const test = await errorOf({ ...base(), data: { train: data(10, 1), test: data(10, 2, UNLABELLED) } });
    expect((test.error as Error).message).toBe('data.test: data2 has unlabelled examples; data.test must be labelled');
    expect(range.events.filter((e) => e.type === 'train')).toEqual([]);
  });

  it('teacher and student with different class counts or input sizes -> TeacherStudentMismatchError', async () => {
    const student4 = tfl.sequential({ layers: [tfl.layers.dense({ units: 4, inputShape: [8] })], name: 'wide' });
    const classes = await errorOf({ ...base(), student: student4 });
    expect(TeacherStudentMismatchError.isInstance(classes.error)).toBe(true);
    expect((classes.error as Error).message).toMatch(/^classes differ: teacher .* has 3, student wide has 4$/);
    const student9 = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [9] })], name: 'nine' });
    const inputs = await errorOf({ ...base(), student: student9 });
    expect(TeacherStudentMismatchError.isInstance(inputs.error)).toBe(true);
    expect((inputs.error as Error).message).toMatch(/input shapes differ: teacher .* has \[\?,8\] \(8 values per example\), student nine has \[\?,9\] \(9 values per example\)/);
  });
});

describe('distill: training', () => {
  it('distils a linear teacher into an MLP student that agrees with it, reporting a summary', async () => {
    const teacher = teacherModel();
    const train = await labelled(teacher, 400, 2);
    const test = await labelled(teacher, 200, 3);
    const events: DistillEvent[] = [];
    const { model: student, report: summary } = await distill({
      teacher,
      student: 'mlp:16',
      data: { train, test },
      baseline: true,
      epochs: 8,
      batchSize: 32,
      seed: 1,
      optimizer: { name: 'adam', learningRate: 0.01 },
      onEvent: (e) => events.push(e),
    });
    const history = summary.history;
    expect(summary.teacher.accuracy).toBe(1);
    expect(summary.student.accuracy).toBeGreaterThan(0.9);
    expect(summary.agreement).toBe(summary.student.accuracy);
    expect(summary.student.params).toBe(8 * 16 + 16 + 16 * 3 + 3);
    expect(summary.teacher.params).toBe(8 * 3 + 3);
    expect(summary.rows).toEqual({ labelled: 400, unlabelled: 0, validation: 0, test: 200 });
    // The baseline: the same student trained alone on the labels; the gap arithmetic by hand.
    expect(summary.baseline!.history.epochs).toHaveLength(8);
    const b = summary.baseline!.accuracy!;
    expect(summary.gapClosed).toBe(b === 1 ? null : (summary.student.accuracy! - b) / (1 - b));
    expect(summary.loss).toBe('hinton');
    expect(summary.weight).toEqual({ name: 'alpha', value: 0.7 });
    expect(history.epochs).toHaveLength(8);
    expect(history.epochs[7]!.loss).toBeLessThan(history.epochs[0]!.loss);
    expect(student.outputs[0]!.shape).toEqual([null, 3]);
    const types = new Set(events.map((e) => e.type));
    expect([...types]).toEqual(['teacher-logits', 'stage', 'train', 'evaluate', 'done']);
    expect(events.filter((e) => e.type === 'stage').map((e) => (e as { stage: string }).stage)).toEqual(['distill', 'baseline']);
  });

  it('learns from a transfer set alone (every label -1: soft targets only)', async () => {
    const teacher = teacherModel();
    const transfer = data(400, 4, UNLABELLED);
    const test = await labelled(teacher, 200, 5);
    const { report: summary } = await distill({
      teacher,
      student: 'mlp:16',
      data: { train: transfer, test },
      alpha: 1,
      epochs: 8,
      batchSize: 32,
      seed: 2,
      optimizer: { name: 'adam', learningRate: 0.01 },
    });
    expect(summary.rows).toEqual({ labelled: 0, unlabelled: 400, validation: 0, test: 200 });
    expect(summary.student.accuracy).toBeGreaterThan(0.9);
  });

  it('keeps `labelled` labels class-balanced and carves a validation split for early stopping', async () => {
    const teacher = teacherModel();
    const train = await labelled(teacher, 200, 8);
    const { report } = await distill({ teacher, student: 'mlp:8', data: { train }, labelled: 40, earlyStopping: { monitor: 'val_loss', patience: 5 }, validationFraction: 0.25, epochs: 2, batchSize: 32, seed: 4 });
    expect(report.rows).toEqual({ labelled: 40, unlabelled: 110, validation: 50, test: 0 });
    expect(report.history.epochs[0]!.valLoss).toBeGreaterThan(0);
  });

  it('resumes from a checkpoint to the same weights as an uninterrupted run (teacher logits cached inside the checkpoint)', async () => {
    const teacher = teacherModel();
    const train = await labelled(teacher, 120, 6);
    const opts = { teacher, student: 'mlp:8', data: { train }, batchSize: 16, seed: 3 } as const;
    const full = await distill({ ...opts, epochs: 3 });
    const dir = await mkdtemp(path.join(tmpdir(), 'distill-ckpt-'));
    await distill({ ...opts, epochs: 2, checkpointDir: dir });
    expect((await readdir(dir)).sort()).toEqual(['checkpoint-000001.ckpt', 'checkpoint-000002.ckpt']);
    const events: DistillEvent[] = [];
    const resumed = await distill({ ...opts, epochs: 3, checkpointDir: dir, resume: true, onEvent: (e) => events.push(e) });
    expect(events.find((e) => e.type === 'teacher-logits')).toMatchObject({ cached: true });
    const a = full.model.getWeights().map((w) => Array.from(w.dataSync()));
    const b = resumed.model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(b).toEqual(a);
  });
});
