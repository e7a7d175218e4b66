import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Dataset, initBackend, killAtFileStep, type Model, recordFileSteps, Rng, Tensor, TfjsModel, tfl, UNLABELLED } from '@shrinkray/tensor-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DistillOptions, distill } from './distill.js';

class Killed extends Error {}

/** A fixed linear teacher (3 classes, 8 inputs) that counts the examples it is asked to predict. */
function countingTeacher(): Model & { rows: number } {
  const layers = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [8], kernelInitializer: tfl.initializers.glorotUniform({ seed: 11 }) })] });
  const inner = new TfjsModel(layers, 'teacher');
  const teacher = {
    name: 'teacher',
    inputShape: inner.inputShape,
    numClasses: 3,
    rows: 0,
    async predict(x: Tensor) {
      teacher.rows += x.shape[0]!;
      return inner.predict(x as Tensor<'float32'>);
    },
    dispose() {},
  };
  return teacher;
}

/** 96 examples, labels from the teacher's argmax, the last 32 unlabelled (a transfer set). */
async function examples(teacher: Model): Promise<Dataset> {
  const rng = new Rng(5);
  const x = new Tensor('float32', [96, 8], Float32Array.from({ length: 96 * 8 }, () => rng.normal()));
  const logits = await teacher.predict(x);
  const y = Int32Array.from({ length: 96 }, (_, i) => {
    if (i >= 64) return UNLABELLED;
    const row = logits.data.subarray(i * 3, i * 3 + 3);
    return row.indexOf(Math.max(...row));
  });
  return Dataset.fromArrays(x, y, { name: 'examples', numClasses: 3 });
}

const bytes = (m: tfl.LayersModel): string[] => m.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).buffer).toString('base64'));

const dirs: string[] = [];
beforeAll(async () => {
  await initBackend();
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'distill-kill-'));
  dirs.push(dir);
  return dir;
}

describe('distill survives a kill at any file step or batch, resuming to the bits of an uninterrupted run', () => {
  it('every write, rename and removal of a checkpoint; mid-epoch; and the teacher is not run again once its logits are checkpointed', async () => {
    const teacher = countingTeacher();
    const train = await examples(teacher);
    const options = (dir: string, signal?: AbortSignal): DistillOptions => ({
      teacher,
      student: 'mlp:8',
      data: { train },
      temperature: 2,
      alpha: 0.5,
      epochs: 3,
      batchSize: 16,
      seed: 4,
      optimizer: { name: 'adam', learningRate: 0.02 },
      checkpointDir: dir,
      resume: true,
      ...(signal ? { signal } : {}),
    });
    const reference = await distill(options(await tempDir()));
    const want = bytes(reference.model);
    const steps = await recordFileSteps(async () => distill(options(await tempDir())));
    expect(steps).toEqual(['write', 'rename', 'write', 'rename', 'write', 'rename', 'remove']);

    for (let k = 1; k <= steps.length; k++) {
      const dir = await tempDir();
      await killAtFileStep(k, () => distill(options(dir)));
      teacher.rows = 0;
      const resumed = await distill(options(dir));
      expect(bytes(resumed.model), `kill at file step ${k} (${steps[k - 1]})`).toEqual(want);
      expect(resumed.report.history.epochs.map((e) => e.loss)).toEqual(reference.report.history.epochs.map((e) => e.loss));
      // Before the first checkpoint landed (steps 1-2) the teacher runs again; after it, its logits come from the checkpoint.
      expect(teacher.rows, `teacher rows after a kill at file step ${k}`).toBe(k <= 2 ? 96 : 0);
    }

    // Killed between optimizer steps (6 per epoch): in epoch 1 (no checkpoint yet) and 3.
    for (const step of [2, 15]) {
      const dir = await tempDir();
      const controller = new AbortController();
      let seen = 0;
      await expect(
        distill({
          ...options(dir, controller.signal),
          onEvent: (e) => {
            if (e.type === 'train' && e.event.type === 'batch' && ++seen === step) controller.abort(new Killed(`killed at step ${step}`));
          },
        }),
      ).rejects.toBeInstanceOf(Killed);
      const resumed = await distill(options(dir));
      expect(bytes(resumed.model), `kill at optimizer step ${step}`).toEqual(want);
    }
  });
});
