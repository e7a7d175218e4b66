import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Batch, Dataset } from '../data/dataset.js';
import { ConfigError } from '../errors/config-error.js';
import { TrainingError } from '../errors/training-error.js';
import { adaptInput, type DeclaredShape } from '../layout.js';
import { MIN_PROBABILITY } from '../numerics.js';
import { Rng } from '../random.js';
import { formatShape, type Tensor } from '../tensor.js';
import { accuracyCounts, sparseCrossEntropy } from './losses.js';
import type { LossFn } from './types.js';

/** A 32-bit hash of integers, for per-epoch and per-step seeds derived from the run's seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    for (const word of [lo, hi]) {
      h = Math.imul(h ^ word, 0x01000193);
      h ^= h >>> 15;
      h = Math.imul(h, 0x2c1b3c6d);
      h ^= h >>> 12;
    }
  }
  return h >>> 0;
}

/**
 * Runs `fn` with `Math.random` replaced by a generator seeded with `seed`. tfjs draws dropout masks
 * (and other unseeded random ops) from `Math.random`; this makes each training step's masks a
 * function of (seed, epoch, batch), so runs and resumed runs are reproducible. `fn` is synchronous,
 * so no other code observes the replacement.
 */
function withSeededRandom<T>(seed: number, fn: () => T): T {
  const saved = Math.random;
  const rng = new Rng(seed);
  Math.random = () => rng.next();
  try {
    return fn();
  } finally {
    Math.random = saved;
  }
}

/** The batch's examples as a tfjs tensor in the model's input layout. */
export function batchInput(x: Tensor, inputShape: DeclaredShape, name: string): tf.Tensor {
  if (x.dtype === 'int32') return tf.tensor(x.data as Int32Array, [...x.shape], 'int32');
  return adaptInput(x as Tensor<'float32'>, inputShape, name).toTfjs();
}

/** The rows at `indices` of a `[N, ...]` array. */
export function gatherRows(t: Tensor<'float32'>, indices: Int32Array): tf.Tensor {
  const rows = t.shape[0]!;
  const rowSize = rows === 0 ? 0 : t.size / rows;
  const out = new Float32Array(indices.length * rowSize);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    out.set(t.data.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  }
  return tf.tensor(out, [indices.length, ...t.shape.slice(1)], 'float32');
}

/** What one training step needs besides the batch. */
export interface StepContext {
  model: tfl.LayersModel;
  optimizer: tf.Optimizer;
  /** The model's trainable variables. */
  variables: tf.Variable[];
  loss: LossFn;
  /** True when the model ends in softmax (its output is turned into log-probabilities). */
  probabilities: boolean;
  inputShape: DeclaredShape;
  targets: readonly (readonly [string, Tensor<'float32'>])[];
  seed: number;
}

/** Loss and accuracy counts of one step. */
export interface StepResult {
  loss: number;
  correct: number;
  labelled: number;
}

/** The model's output as logits (log-probabilities for a softmax model). */
function logitsOf(out: tf.Tensor2D, probabilities: boolean): tf.Tensor2D {
  return probabilities ? (tf.log(tf.maximum(out, MIN_PROBABILITY)) as tf.Tensor2D) : out;
}

/**
 * One optimizer step on one batch: gradients of the loss (plus layer regularisation losses), with
 * dropout masks seeded from `(seed, epoch, batch)`. The loss is read once; a NaN/Infinity throws a
 * `TrainingError` *before* the update is applied.
 *
 * @param batchIndex 0-based batch of the epoch.
 * @param step optimizer steps completed before this one.
 */
export function trainStep(ctx: StepContext, batch: Batch, epoch: number, batchIndex: number, step: number): StepResult {
  let stats: Float32Array | Int32Array | Uint8Array;
  let counts: tf.Tensor | undefined;
  tf.engine().startScope();
  try {
    const xT = batchInput(batch.x, ctx.inputShape, 'data');
    const yT = tf.tensor1d(batch.y, 'int32');
    const targets: Record<string, tf.Tensor> = {};
    for (const [name, t] of ctx.targets) targets[name] = gatherRows(t, batch.indices);
    const { value, grads } = withSeededRandom(mixSeed(ctx.seed, epoch, batchIndex, 0x5eed), () =>
      ctx.optimizer.computeGradients(() => {
        const logits = logitsOf(ctx.model.apply(xT, { training: true }) as tf.Tensor2D, ctx.probabilities);
        let loss = ctx.loss({ logits, labels: yT, targets, x: xT, epoch, step });
        if (!(loss instanceof tf.Tensor) || loss.rank !== 0) {
          throw new ConfigError('loss', `must return a scalar tf.Tensor, got ${loss instanceof tf.Tensor ? `shape ${formatShape(loss.shape)}` : typeof loss}`);
        }
        for (const r of ctx.model.calculateLosses()) loss = tf.add(loss, r);
        counts = tf.keep(accuracyCounts(logits, yT));
        return loss;
      }, ctx.variables),
    );
    stats = tf.concat([tf.reshape(value, [1]), counts!]).dataSync();
    const loss = stats[0]!;
    if (!Number.isFinite(loss)) {
      throw new TrainingError({ epoch, batch: batchIndex + 1, message: `loss is ${loss} (the step was not applied); lower the learning rate or check the data` });
    }
    ctx.optimizer.applyGradients(grads);
  } finally {
    counts?.dispose();
    tf.engine().endScope();
  }
  return { loss: stats[0]!, correct: stats[1]!, labelled: stats[2]! };
}

/**
 * Cross-entropy and top-1 accuracy of the model over the labelled examples of `data` (read a batch at
 * a time, in order; unlabelled rows are ignored).
 */
export async function scoreDataset(
  model: tfl.LayersModel,
  data: Dataset,
  options: { batchSize: number; probabilities: boolean; inputShape: DeclaredShape; signal?: AbortSignal },
): Promise<{ loss: number; accuracy: number }> {
  let lossSum = 0;
  let correct = 0;
  let labelled = 0;
  for await (const batch of data.batches({ batchSize: options.batchSize, ...(options.signal ? { signal: options.signal } : {}) })) {
    const values = tf.tidy(() => {
      const x = batchInput(batch.x, options.inputShape, `validation ${data.name}`);
      const y = tf.tensor1d(batch.y, 'int32');
      const logits = logitsOf(model.predict(x) as tf.Tensor2D, options.probabilities);
      const c = accuracyCounts(logits, y);
      // sparseCrossEntropy is the mean over the batch's labelled rows: weight it back by their count.
      return tf.concat([tf.reshape(tf.mul(sparseCrossEntropy(logits, y), tf.slice(c, [1], [1])), [1]), c]);
    });
    try {
      const [l, k, n] = values.dataSync();
      lossSum += l!;
      correct += k!;
      labelled += n!;
    } finally {
      values.dispose();
    }
  }
  return { loss: lossSum / labelled, accuracy: correct / labelled };
}
