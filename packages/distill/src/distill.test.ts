import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, initBackend, PluginError, Rng, ShapeMismatchError, Tensor, TfjsModel, tf, tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DistillEvent, type DistillOptions, distill } from './distill.js';
import { DistillDataError } from './errors/distill-data-error.js';
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

function data(n: number, seed: number, inputs = 8): { x: Tensor<'float32'>; y: Int32Array } {
  const rng = new Rng(seed);
  const x = new Tensor('float32', [n, inputs], Float32Array.from({ length: n * inputs }, () => rng.normal()));
  return { x, y: new Int32Array(n) };
}

async function labelled(teacher: tfl.LayersModel, n: number, seed: number) {
  const d = data(n, seed);
  const logits = await new TfjsModel(teacher).predict(d.x);
  for (let i = 0; i < n; i++) {
    const row = logits.data.subarray(i * 3, i * 3 + 3);
    d.y[i] = row.indexOf(Math.max(...row));
  }
  return d;
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
  const base = (): DistillOptions => ({ teacher: teacherModel(), student: 'mlp:4', data: data(10, 1), epochs: 1, batchSize: 4 });

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

  it('early stopping without validation, resume without a checkpoint dir -> ConfigError', async () => {
    const es = await errorOf({ ...base(), earlyStopping: { monitor: 'val_loss', patience: 1 } });
    expect((es.error as Error).message).toBe('earlyStopping: monitors val_loss but no validation set was given');
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

  it('empty data, labels out of range, wrong label count -> DistillDataError naming the array and row', async () => {
    const empty = await errorOf({ ...base(), data: { x: new Tensor('float32', [0, 8], new Float32Array(0)), y: new Int32Array(0) } });
    expect(DistillDataError.isInstance(empty.error)).toBe(true);
    expect((empty.error as Error).message).toBe('data.x: is empty (0 rows)');
    const d = data(10, 1);
    d.y[7] = 3;
    const range = await errorOf({ ...base(), data: d });
    expect((range.error as Error).message).toBe('data.y: label 3 at row 7 is outside [0, 3) (or -1 for no label)');
    d.y[7] = -2;
    expect(((await errorOf({ ...base(), data: d })).error as Error).message).toMatch(/label -2 at row 7/);
    const short = await errorOf({ ...base(), data: { x: d.x, y: new Int32Array(9) } });
    expect((short.error as Error).message).toBe('data.y: has 9 labels for 10 rows');
    const test = await errorOf({ ...base(), test: { x: d.x, y: new Int32Array(10).fill(-1) } });
    expect((test.error as Error).message).toMatch(/test\.y: label -1 at row 0 is outside \[0, 3\)$/);
    const transfer = await errorOf({ ...base(), transfer: { x: new Tensor('float32', [0, 8], new Float32Array(0)) } });
    expect((transfer.error as Error).message).toBe('transfer.x: is empty (0 rows)');
    const shape = await errorOf({ ...base(), transfer: { x: new Tensor('float32', [2, 9], new Float32Array(18)) } });
    expect(ShapeMismatchError.isInstance(shape.error)).toBe(true);
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
    const { student, summary, history, teacherLogits } = await distill({
      teacher,
      student: 'mlp:16',
      data: train,
      test,
      epochs: 8,
      batchSize: 32,
      seed: 1,
      optimizer: { name: 'adam', learningRate: 0.01 },
      onEvent: (e) => events.push(e),
    });
    expect(teacherLogits.shape).toEqual([400, 3]);
    expect(summary.teacher.accuracy).toBe(1);
    expect(summary.student.accuracy).toBeGreaterThan(0.9);
    expect(summary.agreement).toBe(summary.student.accuracy);
    expect(summary.student.params).toBe(8 * 16 + 16 + 16 * 3 + 3);
    expect(summary.teacher.params).toBe(8 * 3 + 3);
    expect(summary.rows).toEqual({ labelled: 400, unlabelled: 0 });
    expect(summary.loss).toBe('hinton');
    expect(summary.weight).toEqual({ name: 'alpha', value: 0.7 });
    expect(history.epochs).toHaveLength(8);
    expect(history.epochs[7]!.loss).toBeLessThan(history.epochs[0]!.loss);
    expect(student.outputs[0]!.shape).toEqual([null, 3]);
    const types = new Set(events.map((e) => e.type));
    expect([...types]).toEqual(['teacher-logits', 'stage', 'train', 'evaluate', 'done']);
  });

  it('learns from a transfer set alone (every label -1: soft targets only)', async () => {
    const teacher = teacherModel();
    const transfer = data(400, 4);
    const test = await labelled(teacher, 200, 5);
    const { summary } = await distill({
      teacher,
      student: 'mlp:16',
      data: { x: transfer.x.sliceRows(0, 1), y: Int32Array.of(-1) },
      transfer: { x: transfer.x.sliceRows(1, 400) },
      test,
      alpha: 1,
      epochs: 8,
      batchSize: 32,
      seed: 2,
      optimizer: { name: 'adam', learningRate: 0.01 },
    });
    expect(summary.rows).toEqual({ labelled: 0, unlabelled: 400 });
    expect(summary.student.accuracy).toBeGreaterThan(0.9);
  });

  it('resumes from a checkpoint to the same weights as an uninterrupted run (teacher logits cached on disk)', async () => {
    const teacher = teacherModel();
    const train = await labelled(teacher, 120, 6);
    const opts = { teacher, student: 'mlp:8', data: train, batchSize: 16, seed: 3 } as const;
    const full = await distill({ ...opts, epochs: 3 });
    const dir = await mkdtemp(path.join(tmpdir(), 'distill-ckpt-'));
    await distill({ ...opts, epochs: 2, checkpointDir: dir });
    expect((await readdir(dir)).sort()).toEqual(['checkpoint-000001.ckpt', 'checkpoint-000002.ckpt', 'teacher-logits.npy']);
    const events: DistillEvent[] = [];
    const resumed = await distill({ ...opts, epochs: 3, checkpointDir: dir, resume: true, onEvent: (e) => events.push(e) });
    expect(events.find((e) => e.type === 'teacher-logits')).toMatchObject({ cached: true });
    const a = full.student.getWeights().map((w) => Array.from(w.dataSync()));
    const b = resumed.student.getWeights().map((w) => Array.from(w.dataSync()));
    expect(b).toEqual(a);
  });
});
