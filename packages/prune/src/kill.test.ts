import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Dataset, initBackend, killAtFileStep, recordFileSteps, Rng, Tensor, tfl } from '@shrinkray/tensor-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PruneOptions, prune } from './prune.js';

/** Three Gaussian blobs in 6 dimensions. */
function blobs(n: number, seed: number): Dataset {
  const fixed = new Rng(99);
  const centres = [0, 1, 2].map(() => Array.from({ length: 6 }, () => fixed.normal()));
  const rng = new Rng(seed);
  const x = new Float32Array(n * 6);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.int(3);
    for (let d = 0; d < 6; d++) x[i * 6 + d] = centres[y[i]!]![d]! + rng.normal();
  }
  return Dataset.fromArrays(new Tensor('float32', [n, 6], x), y, { name: `blobs${seed}`, numClasses: 3 });
}

function mlp(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [6], units: 12, activation: 'relu', name: 'fc1', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dropout({ rate: 0.2 }),
      tfl.layers.dense({ units: 3, name: 'out', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
}

const bytes = (m: tfl.LayersModel): string[] => m.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).buffer).toString('base64'));

class Killed extends Error {}

const dirs: string[] = [];
beforeAll(async () => {
  await initBackend();
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('prune survives a kill at any file step or batch, resuming to the bits of an uninterrupted run', () => {
  const train = blobs(96, 1);
  // `random` scores draw from the pruner's RNG, so its state must come back from the checkpoint too.
  const options = (dir: string, signal?: AbortSignal): PruneOptions => ({
    model: mlp(),
    data: { train },
    sparsity: 0.6,
    criterion: 'random',
    schedule: 'polynomial',
    scheduleOptions: { end: 0.7, frequency: 2 },
    finetune: { epochs: 4, batchSize: 16, optimizer: { name: 'adam', learningRate: 0.02 }, checkpointDir: dir, resume: true },
    seed: 7,
    exportOnnx: false,
    ...(signal ? { signal } : {}),
  });

  it('every write, rename and removal of a checkpoint; and mid-epoch', async () => {
    const reference = await prune(options(await tempDir()));
    const want = bytes(reference.model);
    const steps = await recordFileSteps(async () => prune(options(await tempDir())));
    expect(steps.filter((s) => s === 'write')).toHaveLength(4);
    expect(steps).toContain('remove');

    for (let k = 1; k <= steps.length; k++) {
      const dir = await tempDir();
      await killAtFileStep(k, () => prune(options(dir)));
      const resumed = await prune(options(dir));
      expect(bytes(resumed.model), `kill at file step ${k} (${steps[k - 1]})`).toEqual(want);
      expect(resumed.report.updates).toEqual(reference.report.updates);
      expect(resumed.report.sparsity).toBe(reference.report.sparsity);
      // Only checkpoints remain, the last epoch's among them (and any torn temporary file, which resume ignores).
      const files = (await readdir(dir)).filter((f) => !f.endsWith('.tmp'));
      expect(files.every((f) => /^checkpoint-\d{6}\.ckpt$/.test(f))).toBe(true);
      expect(files).toContain('checkpoint-000004.ckpt');
    }

    // Killed between optimizer steps (6 per epoch): in epoch 1 (no checkpoint yet), 2 and 4.
    for (const step of [3, 9, 22]) {
      const dir = await tempDir();
      const controller = new AbortController();
      let seen = 0;
      const run = options(dir, controller.signal);
      await expect(
        prune({
          ...run,
          onEvent: (e) => {
            if (e.type === 'train' && e.event.type === 'batch' && ++seen === step) controller.abort(new Killed(`killed at step ${step}`));
          },
        }),
      ).rejects.toBeInstanceOf(Killed);
      const resumed = await prune(options(dir));
      expect(bytes(resumed.model), `kill at optimizer step ${step}`).toEqual(want);
      expect(resumed.report.finetune!.resumedFromEpoch).toBe(Math.floor((step - 1) / 6) || null);
    }
  });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'prune-kill-'));
  dirs.push(dir);
  return dir;
}
