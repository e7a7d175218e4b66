import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeOnnx, exportTfjs } from '@shrinkray/onnx-io';
import { Dataset, initBackend, Rng, saveTfjsModel, Tensor, TfjsModel, type tf, tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DistillDataError } from '../errors/distill-data-error.js';
import { TeacherStudentMismatchError } from '../errors/teacher-student-mismatch-error.js';
import { writeLogitsFile } from './logits-file.js';
import { averageLogits, resolveTeacher } from './teacher.js';

beforeAll(async () => {
  await initBackend();
});

function tinyModel(classes: number, seed: number, softmax = false): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [4, 4, 1] }),
      tfl.layers.dense({ units: 8, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }),
      tfl.layers.dense({ units: classes, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }), ...(softmax ? { activation: 'softmax' } : {}) }),
    ],
  });
}

function images(n: number, seed: number): Tensor<'float32'> {
  const rng = new Rng(seed);
  return new Tensor('float32', [n, 4, 4, 1], Float32Array.from({ length: n * 16 }, () => rng.next()));
}

/** The images as an unlabelled Dataset (teachers only read examples). */
const ds = (x: Tensor<'float32'>) => Dataset.fromArrays(x, new Int32Array(x.shape[0]!).fill(-1), { name: 'images', numClasses: 4 });

describe('averageLogits', () => {
  it('averages probabilities (log of the mean softmax) or logits (hand-computed)', () => {
    const a = Tensor.float32([1, 2], [Math.log(3), 0]); // p = [3/4, 1/4]
    const b = Tensor.float32([1, 2], [0, 0]); // p = [1/2, 1/2]
    const p = averageLogits([a, b], 'probabilities');
    expect(p.data[0]).toBeCloseTo(Math.log(0.625), 6);
    expect(p.data[1]).toBeCloseTo(Math.log(0.375), 6);
    const l = averageLogits([a, b], 'logits');
    expect(l.data[0]).toBeCloseTo(Math.log(3) / 2, 6);
    expect(l.data[1]).toBeCloseTo(0, 6);
  });
});

describe('resolveTeacher', () => {
  it('computes a tfjs teacher\'s logits in batches, equal to one predict call', async () => {
    const model = tinyModel(3, 1);
    const x = images(37, 2);
    const teacher = await resolveTeacher(model);
    const seen: number[] = [];
    const logits = await teacher.trainLogits(ds(x), { batchSize: 10, onBatch: (done) => seen.push(done) });
    expect(seen).toEqual([10, 20, 30, 37]);
    const ref = (model.predict(x.toTfjs()) as tf.Tensor).dataSync();
    expect(logits.shape).toEqual([37, 3]);
    for (let i = 0; i < ref.length; i++) expect(logits.data[i]).toBeCloseTo(ref[i]!, 5);
    expect(teacher.layersModel).toBe(model);
    await teacher.dispose();
    // Not owned: the caller's model still works.
    expect(() => model.predict(x.toTfjs())).not.toThrow();
  });

  it('runs an .onnx teacher through ONNX Runtime and a model.json teacher through tfjs, with matching logits', async () => {
    const model = tinyModel(4, 3);
    const dir = await mkdtemp(path.join(tmpdir(), 'distill-teacher-'));
    const onnxFile = path.join(dir, 'teacher.onnx');
    await writeFile(onnxFile, encodeOnnx(await exportTfjs(model)));
    await saveTfjsModel(model, dir);
    const x = images(20, 4);
    const ref = (model.predict(x.toTfjs()) as tf.Tensor).dataSync();
    for (const file of [onnxFile, path.join(dir, 'model.json')]) {
      const teacher = await resolveTeacher(file);
      expect(teacher.numClasses).toBe(4);
      const logits = await teacher.trainLogits(ds(x), { batchSize: 8 });
      for (let i = 0; i < ref.length; i++) expect(logits.data[i]).toBeCloseTo(ref[i]!, 4);
      await teacher.dispose();
    }
  });

  it('reads softmax teachers as log-probabilities', async () => {
    const model = tinyModel(3, 5, true);
    const x = images(5, 6);
    const logits = await (await resolveTeacher(new TfjsModel(model))).trainLogits(ds(x), { batchSize: 8 });
    const p = (model.predict(x.toTfjs()) as tf.Tensor).dataSync();
    for (let i = 0; i < p.length; i++) expect(logits.data[i]).toBeCloseTo(Math.log(p[i]!), 4);
  });

  it('averages an ensemble of a model and a logits file', async () => {
    const model = tinyModel(3, 7);
    const x = images(6, 8);
    const fixed = new Tensor('float32', [6, 3], Float32Array.from({ length: 18 }, (_, i) => (i % 3) - 1));
    const dir = await mkdtemp(path.join(tmpdir(), 'distill-ens-'));
    const file = path.join(dir, 'fixed.npy');
    await writeLogitsFile(file, fixed);
    const teacher = await resolveTeacher({ ensemble: [model, file] });
    const got = await teacher.trainLogits(ds(x), { batchSize: 4 });
    const m = await (await resolveTeacher(model)).trainLogits(ds(x), { batchSize: 4 });
    const want = averageLogits([m, fixed], 'probabilities');
    for (let i = 0; i < want.size; i++) expect(got.data[i]).toBeCloseTo(want.data[i]!, 5);
    // A logits file has no test logits, so the ensemble has none either.
    expect(await teacher.testLogits(ds(x), { batchSize: 4 })).toBeUndefined();
  });

  it('rejects ensembles whose members disagree on the class count, and logits of the wrong row count', async () => {
    const error = await resolveTeacher({ ensemble: [tinyModel(3, 1), tinyModel(4, 2)] }).catch((e: unknown) => e);
    expect(TeacherStudentMismatchError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/classes differ: ensemble member .* has 3, ensemble member .* has 4/);
    const teacher = await resolveTeacher({ logits: new Tensor('float32', [5, 3], new Float32Array(15)), name: 'cached.npy' });
    await expect(teacher.trainLogits(ds(images(6, 1)), { batchSize: 4 })).rejects.toSatisfy(
      (e: unknown) => DistillDataError.isInstance(e) && /cached\.npy holds logits for 5 rows, images has 6 examples/.test((e as Error).message),
    );
  });
});
