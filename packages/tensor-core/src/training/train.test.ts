import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { Dataset } from '../data/dataset.js';
import { ArraySource, type ExampleSource } from '../data/source.js';
import { ConfigError } from '../errors/config-error.js';
import { DataError } from '../errors/data-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { TrainingError } from '../errors/training-error.js';
import { Rng } from '../random.js';
import { Tensor } from '../tensor.js';
import { killAtFileStep, recordFileSteps, SimulatedKill } from '../kill-testing.js';
import { loadLatestCheckpoint } from './checkpoint.js';
import { sparseCrossEntropy } from './losses.js';
import { train } from './train.js';
import type { TrainEvent } from './types.js';

const features = 8;
const classes = 4;

/** A seeded, linearly separable problem: label = argmax(W x) for a fixed random W. */
function dataset(rows: number, seed: number): { x: Tensor<'float32'>; y: Int32Array } {
  // W is the same for every split (its own fixed seed); only the rows depend on `seed`.
  const wRng = new Rng(7);
  const w = Array.from({ length: classes * features }, () => wRng.normal());
  const rng = new Rng(seed);
  const x = new Float32Array(rows * features);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < features; j++) x[i * features + j] = rng.normal();
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let j = 0; j < features; j++) s += w[c * features + j]! * x[i * features + j]!;
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    y[i] = best;
  }
  return { x: new Tensor('float32', [rows, features], x), y };
}

function mlp(options: { dropout?: number; softmax?: boolean; batchNorm?: boolean; l2?: number } = {}): tfl.LayersModel {
  const model = tfl.sequential();
  model.add(
    tfl.layers.dense({
      inputShape: [features],
      units: 16,
      activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
      ...(options.l2 ? { kernelRegularizer: tfl.regularizers.l2({ l2: options.l2 }) } : {}),
    }),
  );
  if (options.batchNorm) model.add(tfl.layers.batchNormalization());
  if (options.dropout) model.add(tfl.layers.dropout({ rate: options.dropout }));
  model.add(
    tfl.layers.dense({ units: classes, activation: options.softmax ? 'softmax' : 'linear', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
  );
  return model;
}

function weightsOf(model: tfl.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => (w.dataSync() as Float32Array).slice());
}

function maxAbsDiff(a: Float32Array[], b: Float32Array[]): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    expect(a[i]!.length).toBe(b[i]!.length);
    for (let j = 0; j < a[i]!.length; j++) max = Math.max(max, Math.abs(a[i]![j]! - b[i]![j]!));
  }
  return max;
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'shrinkray-train-'));
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  await initBackend();
});

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const raw300 = dataset(300, 11);
const raw100 = dataset(100, 12);
const ds = (x: Tensor<'float32'>, y: Int32Array, name = 'data') => Dataset.fromArrays(x, y, { name, numClasses: classes });
const train300 = ds(raw300.x, raw300.y, 'train300');
const val100 = ds(raw100.x, raw100.y, 'val100');

describe('train', () => {
  it('learns a linearly separable problem well above chance and reports throughput and backend', async () => {
    const model = mlp();
    const events: TrainEvent[] = [];
    const { history } = await train({
      model,
      data: train300,
      validation: val100,
      optimizer: { name: 'adam', learningRate: 0.02 },
      epochs: 8,
      batchSize: 32,
      seed: 3,
      onEvent: (e) => events.push(e),
    });
    const last = history.epochs[history.epochs.length - 1]!;
    // Chance is 0.25 with 4 classes.
    expect(last.valAccuracy!).toBeGreaterThan(0.85);
    expect(last.accuracy!).toBeGreaterThan(0.85);
    expect(last.loss).toBeLessThan(history.epochs[0]!.loss);
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(history.backend).toBe(tf.getBackend());
    expect(history.samplesPerSecond).toBeGreaterThan(0);
    expect(last.samplesPerSecond).toBeGreaterThan(0);
    expect(history.stoppedEarly).toBe(false);
    // bestEpoch is the epoch with the lowest validation loss.
    const minVal = Math.min(...history.epochs.map((e) => e.valLoss!));
    expect(history.epochs[history.bestEpoch - 1]!.valLoss).toBe(minVal);
    // 300 rows / 32 = 10 batches per epoch.
    expect(events.filter((e) => e.type === 'batch')).toHaveLength(80);
    expect(events[0]).toEqual({ type: 'epoch-start', epoch: 1, epochs: 8 });
    expect(events[events.length - 1]!.type).toBe('done');
    // valLoss is the cross-entropy of the final model on the validation set.
    const logits = model.predict(raw100.x.toTfjs()) as tf.Tensor2D;
    const ce = sparseCrossEntropy(logits, tf.tensor1d(raw100.y, 'int32'));
    expect(ce.dataSync()[0]).toBeCloseTo(last.valLoss!, 5);
    tf.dispose([logits, ce]);
    model.dispose();
  });

  it('same seed gives identical weights; a different seed gives a different shuffle', async () => {
    const run = async (seed: number) => {
      const model = mlp({ dropout: 0.3 });
      await train({ model, data: train300, optimizer: { name: 'sgd', learningRate: 0.1 }, epochs: 2, batchSize: 50, seed });
      const w = weightsOf(model);
      model.dispose();
      return w;
    };
    const a = await run(5);
    const b = await run(5);
    const c = await run(6);
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(1e-4);
  });

  it('training 2 epochs then resuming for epochs 3-4 equals an uninterrupted 4-epoch run (adam, dropout, batch norm)', async () => {
    const opts = { data: train300, validation: val100, epochs: 4, batchSize: 32, seed: 9 } as const;
    const full = mlp({ dropout: 0.2, batchNorm: true });
    const fullRun = await train({ ...opts, model: full, optimizer: tf.train.adam(0.01) });

    const dir = await tempDir();
    const first = mlp({ dropout: 0.2, batchNorm: true });
    await train({ ...opts, model: first, optimizer: tf.train.adam(0.01), epochs: 2, checkpointDir: dir });
    first.dispose();
    expect((await readdir(dir)).sort()).toEqual(['checkpoint-000001.ckpt', 'checkpoint-000002.ckpt']);

    // A fresh model and optimizer, as after a crash: everything comes from the checkpoint.
    const resumed = mlp({ dropout: 0.2, batchNorm: true });
    const events: TrainEvent[] = [];
    const resumedRun = await train({ ...opts, model: resumed, optimizer: tf.train.adam(0.01), checkpointDir: dir, resume: true, onEvent: (e) => events.push(e) });
    expect(events[0]).toEqual({ type: 'resume', path: path.join(dir, 'checkpoint-000002.ckpt'), epoch: 2 });
    expect(events.filter((e) => e.type === 'epoch-start').map((e) => (e as { epoch: number }).epoch)).toEqual([3, 4]);
    // Bit for bit: the checkpoint also holds Adam's running β products (setWeights would recompute them with pow).
    expect(maxAbsDiff(weightsOf(full), weightsOf(resumed))).toBe(0);
    expect(resumedRun.history.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    for (let i = 0; i < 4; i++) {
      expect(resumedRun.history.epochs[i]!.loss).toBe(fullRun.history.epochs[i]!.loss);
      expect(resumedRun.history.epochs[i]!.valLoss!).toBeCloseTo(fullRun.history.epochs[i]!.valLoss!, 5);
    }
    // keepCheckpoints defaults to 2: epochs 3 and 4 remain.
    expect((await readdir(dir)).sort()).toEqual(['checkpoint-000003.ckpt', 'checkpoint-000004.ckpt']);
    const latest = await loadLatestCheckpoint(dir);
    expect(latest!.state.epoch).toBe(4);
    expect(latest!.state.step).toBe(40);
    full.dispose();
    resumed.dispose();
  });

  it('killed at any file step (a torn temporary file, a checkpoint not yet renamed, an old one not yet removed), resumes bit for bit', async () => {
    const opts = { data: train300, validation: val100, epochs: 4, batchSize: 100, seed: 8, resume: true, earlyStopping: { monitor: 'val_loss', patience: 9, restoreBestWeights: true } } as const;
    const run = async (dir: string) => {
      const model = mlp({ dropout: 0.2 });
      await train({ ...opts, model, optimizer: tf.train.adam(0.01), checkpointDir: dir });
      return model;
    };
    const want = weightsOf(await run(await tempDir()));
    const steps = await recordFileSteps(async () => run(await tempDir()));
    expect(steps).toEqual(['write', 'rename', 'write', 'rename', 'write', 'rename', 'remove', 'write', 'rename', 'remove']);
    for (let k = 1; k <= steps.length; k++) {
      const dir = await tempDir();
      const kill = await killAtFileStep(k, () => run(dir));
      expect(kill).toBeInstanceOf(SimulatedKill);
      expect(kill.step).toBe(steps[k - 1]);
      expect(maxAbsDiff(weightsOf(await run(dir)), want), `kill at file step ${k}`).toBe(0);
    }
  });

  it('adds layer regularisation losses to the training loss', async () => {
    const kernelNorm = (m: tfl.LayersModel) => {
      const k = Array.from(m.getWeights()[0]!.dataSync());
      return Math.sqrt(k.reduce((a, v) => a + v * v, 0));
    };
    const plain = mlp();
    const regularised = mlp({ l2: 1 });
    const start = kernelNorm(plain);
    expect(kernelNorm(regularised)).toBe(start);
    const opts = { data: train300, optimizer: { name: 'sgd', learningRate: 0.05 }, epochs: 3, batchSize: 50, seed: 1 } as const;
    const a = await train({ ...opts, model: plain });
    const b = await train({ ...opts, model: regularised });
    // The penalty l2·Σw² is part of the reported loss and pulls the kernel towards 0.
    expect(b.history.epochs[0]!.loss).toBeGreaterThan(a.history.epochs[0]!.loss + 1);
    expect(kernelNorm(regularised)).toBeLessThan(0.5 * kernelNorm(plain));
    plain.dispose();
    regularised.dispose();
  });

  it('refuses to resume a checkpoint written with another seed or optimizer', async () => {
    const dir = await tempDir();
    const model = mlp();
    await train({ model, data: train300, epochs: 1, batchSize: 100, seed: 1, checkpointDir: dir });
    await expect(train({ model, data: train300, epochs: 2, batchSize: 100, seed: 2, checkpointDir: dir, resume: true })).rejects.toThrow(
      /seed = 1, this run has 2/,
    );
    await expect(
      train({ model, data: train300, epochs: 2, batchSize: 100, seed: 1, checkpointDir: dir, resume: true, optimizer: { name: 'sgd', learningRate: 0.1 } }),
    ).rejects.toThrow(/optimizer = Adam, this run has SGD/);
    model.dispose();
  });

  it('keeps tfjs memory flat across epochs', async () => {
    const model = mlp({ dropout: 0.1 });
    const dir = await tempDir();
    const counts: number[] = [];
    const targets = { teacher: new Tensor('float32', [300, classes], new Float32Array(300 * classes).fill(0.5)) };
    await train({
      model,
      data: train300,
      targets,
      validation: val100,
      earlyStopping: { monitor: 'val_loss', patience: 10, restoreBestWeights: true },
      loss: ({ logits, labels, targets: t }) => tf.add(sparseCrossEntropy(logits, labels), tf.mul(0.1, tf.mean(tf.square(tf.sub(logits, t['teacher']!))))),
      optimizer: { name: 'adam', learningRate: 0.01 },
      epochs: 5,
      batchSize: 64,
      checkpointDir: dir,
      onEvent: (e) => {
        if (e.type === 'epoch-end') counts.push(tf.memory().numTensors);
      },
    });
    expect(counts).toHaveLength(5);
    // Optimizer slots appear in epoch 1; from then on nothing may accumulate.
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(counts[4]).toBe(counts[1]);
    model.dispose();
  });

  it('stops early when the validation loss stops improving, and restores the best weights', async () => {
    // Labels of the validation set are permuted, so the model cannot improve on it for long.
    const noisy = ds(raw100.x, new Rng(4).shuffle(raw100.y.slice()));
    const model = mlp();
    const events: TrainEvent[] = [];
    let bestWeights: Float32Array[] = [];
    const { history } = await train({
      model,
      data: train300,
      validation: noisy,
      earlyStopping: { monitor: 'val_loss', patience: 2, restoreBestWeights: true },
      optimizer: { name: 'adam', learningRate: 0.05 },
      epochs: 40,
      batchSize: 32,
      seed: 1,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'epoch-end' && e.epoch === bestEpochSoFar()) bestWeights = weightsOf(model);
      },
    });
    function bestEpochSoFar(): number {
      const ends = events.filter((e): e is Extract<TrainEvent, { type: 'epoch-end' }> => e.type === 'epoch-end');
      let best = ends[0]!;
      for (const e of ends) if (e.valLoss! < best.valLoss!) best = e;
      return best.epoch;
    }
    expect(history.stoppedEarly).toBe(true);
    expect(history.epochs.length).toBeLessThan(40);
    // Stopped exactly `patience` epochs after the best one.
    expect(history.epochs.length).toBe(history.bestEpoch + 2);
    const stop = events.find((e) => e.type === 'early-stop');
    expect(stop).toMatchObject({ type: 'early-stop', bestEpoch: history.bestEpoch, monitor: 'val_loss' });
    expect(maxAbsDiff(weightsOf(model), bestWeights)).toBe(0);
    model.dispose();
  });

  it('early-stopping state survives a resume: a run resumed after the stop trains no further', async () => {
    const noisy = ds(raw100.x, new Rng(4).shuffle(raw100.y.slice()));
    const dir = await tempDir();
    const opts = {
      data: train300,
      validation: noisy,
      earlyStopping: { monitor: 'val_accuracy', patience: 1, minDelta: 0.05, restoreBestWeights: true },
      optimizer: { name: 'adam', learningRate: 0.05 },
      epochs: 30,
      batchSize: 32,
      seed: 2,
      checkpointDir: dir,
    } as const;
    const model = mlp();
    const first = await train({ ...opts, model });
    expect(first.history.stoppedEarly).toBe(true);
    // val_accuracy is maximised: the best epoch has the highest validation accuracy.
    const best = first.history.epochs[first.history.bestEpoch - 1]!;
    for (const e of first.history.epochs) expect(e.valAccuracy!).toBeLessThanOrEqual(best.valAccuracy! + 0.05);
    const restored = weightsOf(model);
    const events: TrainEvent[] = [];
    const again = await train({ ...opts, model: mlp(), resume: true, onEvent: (e) => events.push(e) });
    expect(events.map((e) => e.type)).toEqual(['resume', 'done']);
    expect(again.history.stoppedEarly).toBe(true);
    expect(again.history.epochs).toEqual(first.history.epochs);
    expect(again.history.bestEpoch).toBe(first.history.bestEpoch);
    // restoreBestWeights applies to the resumed model too (best weights are in the checkpoint).
    expect(maxAbsDiff(weightsOf(again.model), restored)).toBe(0);
    model.dispose();
    again.model.dispose();
  });

  it('stops on a NaN/Infinity loss with a TrainingError naming epoch and batch, before applying the step', async () => {
    const model = mlp();
    let error: unknown;
    let lastGood: Float32Array[] = [];
    try {
      await train({
        model,
        data: train300,
        optimizer: { name: 'sgd', learningRate: 1e12 },
        epochs: 3,
        batchSize: 10,
        afterStep: () => {
          lastGood = weightsOf(model);
        },
      });
    } catch (e) {
      error = e;
    }
    expect(TrainingError.isInstance(error)).toBe(true);
    const te = error as TrainingError;
    expect(te.message).toMatch(/^epoch \d+, batch \d+: loss is (NaN|Infinity|-Infinity)/);
    expect(te.epoch).toBeGreaterThanOrEqual(1);
    expect(te.batch).toBeGreaterThanOrEqual(1);
    // The failing step was not applied: the weights are those after the last good step.
    expect(maxAbsDiff(weightsOf(model), lastGood)).toBe(0);
    model.dispose();
  });

  it('trains a softmax-output model through log-probabilities and calls afterStep with global steps', async () => {
    const model = mlp({ softmax: true });
    const steps: number[] = [];
    const { history } = await train({
      model,
      data: train300,
      optimizer: { name: 'momentum', learningRate: 0.05 },
      epochs: 3,
      batchSize: 100,
      afterStep: ({ step, batch, batches }) => {
        steps.push(step);
        expect(batches).toBe(3);
        expect(batch).toBeLessThanOrEqual(3);
      },
    });
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(history.epochs[2]!.loss).toBeLessThan(history.epochs[0]!.loss);
    model.dispose();
  });

  it('accepts unlabelled rows (-1) and ignores them in the default loss', async () => {
    const y = raw300.y.slice();
    for (let i = 0; i < y.length; i += 2) y[i] = -1;
    const model = mlp();
    const { history } = await train({ model, data: ds(raw300.x, y), optimizer: { name: 'rmsprop', learningRate: 0.01 }, epochs: 2, batchSize: 300 });
    // One batch per epoch: the reported loss is the cross-entropy of the 150 labelled rows only.
    expect(history.epochs[0]!.loss).toBeGreaterThan(0);
    expect(history.epochs[0]!.accuracy).not.toBeNull();
    model.dispose();
  });

  it('aborts between batches through an AbortSignal', async () => {
    const model = mlp();
    const controller = new AbortController();
    await expect(
      train({
        model,
        data: train300,
        epochs: 5,
        batchSize: 10,
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'batch' && e.batch === 3) controller.abort(new Error('stop now'));
        },
      }),
    ).rejects.toThrow('stop now');
    model.dispose();
  });

  it('a streamed dataset trains exactly like the in-memory one: same seed, identical weights and history', async () => {
    /** Examples read on demand from NHWC-shaped rows, each read resolving after a delay that varies. */
    class SlowSource implements ExampleSource<'float32'> {
      readonly name = 'slow';
      readonly size = 300;
      readonly exampleShape = [2, 4, 1];
      readonly dtype = 'float32' as const;
      readonly inMemory = false;
      reads = 0;
      private readonly inner = new ArraySource(raw300.x.reshape([300, 2, 4, 1]), 'slow');
      async read(indices: Int32Array): Promise<Tensor<'float32'>> {
        this.reads++;
        await new Promise((r) => setTimeout(r, (this.reads * 7) % 5));
        return this.inner.readSync(indices);
      }
    }
    const source = new SlowSource();
    const streamed = Dataset.fromSource(source, raw300.y, { name: 'streamed', numClasses: classes });
    const teacher = new Tensor('float32', [300, classes], Float32Array.from({ length: 300 * classes }, (_, i) => Math.sin(i)));
    const run = async (data: Dataset, validation: Dataset) => {
      const model = mlp({ dropout: 0.25 });
      const { history } = await train({
        model,
        data,
        targets: { teacher },
        validation,
        loss: ({ logits, labels, targets: t }) => tf.add(sparseCrossEntropy(logits, labels), tf.mul(0.5, tf.mean(tf.square(tf.sub(logits, t['teacher']!))))),
        optimizer: { name: 'adam', learningRate: 0.01 },
        epochs: 3,
        batchSize: 32,
        seed: 21,
        prefetch: 2,
      });
      const w = weightsOf(model);
      model.dispose();
      return { w, history };
    };
    const memory = await run(train300, val100);
    const stream = await run(streamed, Dataset.fromSource(new ArraySource(raw100.x), raw100.y, { numClasses: classes }));
    expect(source.reads).toBe(3 * 10);
    expect(maxAbsDiff(memory.w, stream.w)).toBe(0);
    expect(stream.history.epochs.map((e) => [e.loss, e.valLoss, e.accuracy])).toEqual(memory.history.epochs.map((e) => [e.loss, e.valLoss, e.accuracy]));
  });

  it('saves named extra state inside the one checkpoint file and hands it back on resume', async () => {
    const dir = await tempDir();
    let counter = 0;
    const restored: { json: unknown; arrays: { name: string; data: Float32Array | Int32Array }[] }[] = [];
    const extraState = {
      counter: {
        save: () => ({ json: { counter }, arrays: [{ name: 'ids', dtype: 'int32' as const, shape: [2], data: Int32Array.of(counter, -counter) }] }),
        restore: (snapshot: { json: unknown; arrays: { name: string; data: Float32Array | Int32Array }[] }) => {
          restored.push(snapshot);
          counter = (snapshot.json as { counter: number }).counter;
        },
      },
    };
    const opts = { data: train300, epochs: 2, batchSize: 100, seed: 3, checkpointDir: dir, extraState, afterStep: () => void counter++ } as const;
    await train({ ...opts, model: mlp() });
    expect(counter).toBe(6);
    // One file per epoch, nothing beside it.
    expect((await readdir(dir)).sort()).toEqual(['checkpoint-000001.ckpt', 'checkpoint-000002.ckpt']);
    const latest = (await loadLatestCheckpoint(dir))!.state;
    expect(latest.extra).toEqual({ counter: { counter: 6 } });
    expect(Array.from(latest.groups['extra:counter']![0]!.data)).toEqual([6, -6]);
    counter = 0;
    await train({ ...opts, model: mlp(), epochs: 3, resume: true });
    expect(restored).toHaveLength(1);
    expect(Array.from(restored[0]!.arrays[0]!.data)).toEqual([6, -6]);
    expect(counter).toBe(9);
    // A run that registers a state the checkpoint does not hold refuses to resume.
    const error = await train({ ...opts, model: mlp(), epochs: 4, resume: true, extraState: { ...extraState, masks: extraState.counter } }).catch((e: unknown) => e);
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/checkpoint-000003.ckpt holds no 'masks' state/);
  });

  describe('validates options before training', () => {
    // Built lazily: the backend starts in beforeAll, after test collection.
    let model: tfl.LayersModel;
    let base: { model: tfl.LayersModel; data: typeof train300; epochs: number; batchSize: number };
    beforeAll(() => {
      model = mlp();
      base = { model, data: train300, epochs: 1, batchSize: 10 };
    });
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['epochs 0', { epochs: 0 }, /^epochs: must be a positive integer, got 0/],
      ['fractional epochs', { epochs: 1.5 }, /^epochs:/],
      ['batchSize -1', { batchSize: -1 }, /^batchSize: must be a positive integer, got -1/],
      ['data not a Dataset', { data: { x: raw300.x, y: raw300.y } }, /^data: must be a Dataset/],
      ['empty data', { data: ds(new Tensor('float32', [0, features], new Float32Array(0)), new Int32Array(0)) }, /^data: is empty/],
      ['no labels with default loss', { data: ds(raw300.x, new Int32Array(300).fill(-1)) }, /^data: has no labelled examples/],
      ['validation without labels', { validation: ds(raw100.x, new Int32Array(100).fill(-1)) }, /^validation: has no labelled examples/],
      ['early stopping without validation', { earlyStopping: { monitor: 'val_loss', patience: 1 } }, /^earlyStopping: monitors val_loss but no validation/],
      ['resume without dir', { resume: true }, /^resume: needs checkpointDir/],
      ['bad learning rate', { optimizer: { name: 'sgd', learningRate: 0 } }, /^optimizer.learningRate/],
      ['unknown optimizer', { optimizer: { name: 'lion', learningRate: 0.1 } }, /unknown optimizer 'lion'; known: adam, adamw, sgd, momentum, rmsprop/],
    ];
    for (const [label, patch, message] of cases) {
      it(label, async () => {
        const before = weightsOf(model);
        const error = await train({ ...base, ...patch } as Parameters<typeof train>[0]).catch((e: unknown) => e);
        expect(ConfigError.isInstance(error), String(error)).toBe(true);
        expect((error as Error).message).toMatch(message);
        expect(maxAbsDiff(weightsOf(model), before)).toBe(0);
      });
    }
    it('mismatched input shape -> ShapeMismatchError', async () => {
      const error = await train({ ...base, data: ds(new Tensor('float32', [300, 5], new Float32Array(1500)), raw300.y) }).catch((e: unknown) => e);
      expect(ShapeMismatchError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/data: expected model input \[\?,8\], found data \[300,5\]/);
    });
    it('a dataset with another number of classes than the model -> DataError naming both', async () => {
      const five = Dataset.fromArrays(raw300.x, Int32Array.from(raw300.y, (v, i) => (i === 7 ? 4 : v)), { name: 'five' });
      const error = await train({ ...base, data: five }).catch((e: unknown) => e);
      expect(DataError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/five.*the data has 5 classes but model being trained outputs 4/);
    });
    it('mismatched target rows -> ShapeMismatchError', async () => {
      const targets = { teacher: new Tensor('float32', [299, classes], new Float32Array(299 * classes)) };
      const error = await train({ ...base, targets }).catch((e: unknown) => e);
      expect(ShapeMismatchError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/targets.teacher: expected 300 rows/);
    });
    it('a loss that is not a scalar -> ConfigError', async () => {
      const error = await train({ ...base, loss: ({ logits }) => logits as unknown as tf.Scalar }).catch((e: unknown) => e);
      expect(ConfigError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/^loss: must return a scalar tf.Tensor, got shape \[10,4\]/);
    });
  });
});
