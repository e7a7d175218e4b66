import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../errors/config-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { TrainingError } from '../errors/training-error.js';
import { adaptInput } from '../layout.js';
import { TfjsModel } from '../model.js';
import { Rng } from '../random.js';
import { formatShape, type Tensor } from '../tensor.js';
import { type CheckpointState, type EarlyStoppingState, loadLatestCheckpoint, type NamedArray, saveCheckpoint } from './checkpoint.js';
import { accuracyCounts, sparseCrossEntropy } from './losses.js';
import { kernelUsage, kernelUsageSince } from '../wasm-kernels/ort/runtime.js';
import { createOptimizer } from './optimizer.js';
import type { EpochMetrics, LossFn, TrainEvent, TrainHistory, TrainOptions, TrainResult } from './types.js';

/** The smallest probability whose log is taken when a model ends in softmax. */
const minProbability = 1e-30;

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

function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** Checks labels are integers in [-1, classes) and returns how many are >= 0. */
function checkTrainLabels(y: Int32Array, rows: number, classes: number, option: string): number {
  if (!(y instanceof Int32Array)) throw new ConfigError(option, `must be an Int32Array, got ${(y as object)?.constructor?.name ?? typeof y}`);
  if (y.length !== rows) throw new ConfigError(option, `has ${y.length} labels for ${rows} rows of x`);
  let labelled = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (v < -1 || v >= classes) throw new ConfigError(option, `label ${v} at row ${i} is outside [0, ${classes}) (or -1 for unlabelled)`);
    if (v >= 0) labelled++;
  }
  return labelled;
}

function checkFloatTensor(t: Tensor, option: string): void {
  if (t.dtype !== 'float32') throw new ConfigError(option, `must be a float32 tensor, got ${t.dtype}`);
  if (t.shape.length < 1) throw new ConfigError(option, 'must be batch-first (rank >= 1)');
}

interface Plan {
  model: tfl.LayersModel;
  numClasses: number;
  probabilities: boolean;
  x: Tensor<'float32'>;
  y: Int32Array;
  targets: [string, Tensor<'float32'>][];
  validation?: { x: Tensor<'float32'>; y: Int32Array };
  loss: LossFn;
  optimizer: tf.Optimizer;
  epochs: number;
  batchSize: number;
  seed: number;
  keep: number;
}

/** Validates every option before any training work; throws `ConfigError` / `ShapeMismatchError`. */
function plan(options: TrainOptions): Plan {
  const { model, data } = options;
  if (!model || typeof (model as { apply?: unknown }).apply !== 'function') throw new ConfigError('model', 'must be a tfjs-layers LayersModel');
  if (!isPositiveInteger(options.epochs)) throw new ConfigError('epochs', `must be a positive integer, got ${options.epochs}`);
  if (!isPositiveInteger(options.batchSize)) throw new ConfigError('batchSize', `must be a positive integer, got ${options.batchSize}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ConfigError('seed', `must be an integer, got ${seed}`);
  const keep = options.keepCheckpoints ?? 2;
  if (!isPositiveInteger(keep)) throw new ConfigError('keepCheckpoints', `must be a positive integer, got ${keep}`);
  if (options.resume && !options.checkpointDir) throw new ConfigError('resume', 'needs checkpointDir');
  const wrapped = new TfjsModel(model);
  const classes = wrapped.numClasses;
  if (!data?.x) throw new ConfigError('data.x', 'is required');
  checkFloatTensor(data.x, 'data.x');
  const rows = data.x.shape[0]!;
  if (rows === 0) throw new ConfigError('data.x', 'is empty (0 rows)');
  const labelled = checkTrainLabels(data.y, rows, classes, 'data.y');
  if (!options.loss && labelled === 0) throw new ConfigError('data.y', 'has no labelled rows (all -1); the default cross-entropy loss needs labels');
  const x = adaptInput(data.x, wrapped.inputShape, 'data.x');
  const targets = Object.entries(data.targets ?? {});
  for (const [name, t] of targets) {
    checkFloatTensor(t, `data.targets.${name}`);
    if (t.shape[0] !== rows) {
      throw new ShapeMismatchError({ tensor: `data.targets.${name}`, expected: `${rows} rows (as data.x)`, found: formatShape(t.shape) });
    }
  }
  let validation: Plan['validation'];
  if (options.validation) {
    checkFloatTensor(options.validation.x, 'validation.x');
    const vRows = options.validation.x.shape[0]!;
    if (vRows === 0) throw new ConfigError('validation.x', 'is empty (0 rows)');
    if (checkTrainLabels(options.validation.y, vRows, classes, 'validation.y') === 0) throw new ConfigError('validation.y', 'has no labelled rows');
    validation = { x: adaptInput(options.validation.x, wrapped.inputShape, 'validation.x'), y: options.validation.y };
  }
  const es = options.earlyStopping;
  if (es) {
    if (es.monitor !== 'val_loss' && es.monitor !== 'val_accuracy') throw new ConfigError('earlyStopping.monitor', `must be 'val_loss' or 'val_accuracy', got ${String(es.monitor)}`);
    if (!validation) throw new ConfigError('earlyStopping', `monitors ${es.monitor} but no validation set was given`);
    if (!Number.isInteger(es.patience) || es.patience < 0) throw new ConfigError('earlyStopping.patience', `must be a non-negative integer, got ${es.patience}`);
    const minDelta = es.minDelta ?? 0;
    if (!Number.isFinite(minDelta) || minDelta < 0) throw new ConfigError('earlyStopping.minDelta', `must be a non-negative number, got ${minDelta}`);
  }
  const opt = options.optimizer ?? { name: 'adam', learningRate: 1e-3 };
  const optimizer = opt instanceof tf.Optimizer ? opt : createOptimizer(opt);
  return {
    model,
    numClasses: classes,
    probabilities: wrapped.outputKind === 'probabilities',
    x,
    y: data.y,
    targets,
    ...(validation ? { validation } : {}),
    loss: options.loss ?? (({ logits, labels }) => sparseCrossEntropy(logits, labels)),
    optimizer,
    epochs: options.epochs,
    batchSize: options.batchSize,
    seed,
    keep,
  };
}

function gatherRows(src: Float32Array, rowSize: number, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * rowSize);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    out.set(src.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  }
  return out;
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

function modelArrays(model: tfl.LayersModel): NamedArray[] {
  return model.weights.map((w, i) => {
    const t = w.read();
    const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
    return { name: `${i}:${w.originalName}`, dtype, shape: [...t.shape], data: (t.dataSync() as Float32Array | Int32Array).slice() };
  });
}

function setModelArrays(model: tfl.LayersModel, arrays: readonly NamedArray[], source: string): void {
  const weights = model.weights;
  if (arrays.length !== weights.length) {
    throw new ConfigError('resume', `${source} holds ${arrays.length} weights, the model has ${weights.length}`);
  }
  const tensors = arrays.map((a, i) => {
    const expected = weights[i]!.shape;
    if (formatShape(expected) !== formatShape(a.shape)) {
      throw new ShapeMismatchError({ tensor: `weight ${weights[i]!.originalName} in ${source}`, expected: formatShape(expected), found: formatShape(a.shape) });
    }
    return tf.tensor(a.data, a.shape, a.dtype);
  });
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

async function optimizerArrays(optimizer: tf.Optimizer): Promise<NamedArray[]> {
  const named = await optimizer.getWeights();
  try {
    return named.map(({ name, tensor }) => ({
      name,
      dtype: tensor.dtype === 'int32' ? 'int32' : 'float32',
      shape: [...tensor.shape],
      data: (tensor.dataSync() as Float32Array | Int32Array).slice(),
    }));
  } finally {
    // getWeights returns the slot variables themselves (keep) and a fresh `iter` scalar (dispose).
    for (const { tensor } of named) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  }
}

async function setOptimizerArrays(optimizer: tf.Optimizer, arrays: readonly NamedArray[]): Promise<void> {
  const named = arrays.map((a) => ({ name: a.name, tensor: tf.tensor(a.data, a.shape, a.dtype) }));
  try {
    await optimizer.setWeights(named);
  } finally {
    tf.dispose(named.map((n) => n.tensor));
  }
}

/** Cross-entropy and accuracy of the model on a labelled set (labels -1 ignored), read with one sync. */
function score(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor1D, batchSize: number, probabilities: boolean): { loss: number; accuracy: number } {
  const values = tf.tidy(() => {
    const out = model.predict(x, { batchSize }) as tf.Tensor2D;
    const logits = probabilities ? (tf.log(tf.maximum(out, minProbability)) as tf.Tensor2D) : out;
    return tf.concat([tf.reshape(sparseCrossEntropy(logits, y), [1]), accuracyCounts(logits, y)]);
  });
  try {
    const [loss, correct, count] = values.dataSync();
    return { loss: loss!, accuracy: correct! / count! };
  } finally {
    values.dispose();
  }
}

function bestEpochOf(history: readonly EpochMetrics[]): number {
  let best = 0;
  let bestValue = Number.POSITIVE_INFINITY;
  for (const e of history) {
    const v = e.valLoss ?? e.loss;
    if (v < bestValue) {
      bestValue = v;
      best = e.epoch;
    }
  }
  return best;
}

function overallThroughput(history: readonly EpochMetrics[], rows: number): number {
  let seconds = 0;
  for (const e of history) seconds += rows / e.samplesPerSecond;
  return seconds > 0 ? (rows * history.length) / seconds : 0;
}

/**
 * The one training loop of shrinkray (distill and prune both use it). Trains a tfjs-layers model in
 * place with mini-batches, then returns it with its history.
 *
 * - **Data**: `data.x` may be NHWC or flat; it is adapted to the model's input layout once. Labels
 *   are `-1` for unlabelled rows; `data.targets` arrays (e.g. cached teacher logits) are sliced with
 *   each batch in the same shuffled order and handed to the loss.
 * - **Order and randomness**: rows are shuffled every epoch with an `Rng` seeded from `(seed, epoch)`;
 *   dropout masks in step `b` of epoch `e` come from a generator seeded from `(seed, e, b)` (tfjs
 *   itself draws them from `Math.random`, which is replaced during each synchronous step). The same
 *   seed gives the same weights, and a resumed run gives the weights of an uninterrupted one. Weight
 *   *initialisation* is the model's business: build it with seeded initialisers.
 * - **Step**: gradients of `loss` (plus any layer regularisation losses) for the model's trainable
 *   weights; the loss value is read once per batch and a NaN/Infinity stops training with a
 *   `TrainingError` naming the epoch and batch *before* that step's update is applied.
 * - **Validation / early stopping**: after every epoch the validation set is scored (cross-entropy
 *   and accuracy); `earlyStopping` stops when the monitored value has not improved by `minDelta` for
 *   `patience` epochs, and `restoreBestWeights` puts back the best epoch's weights at the end.
 * - **Checkpoints**: with `checkpointDir`, each epoch writes `checkpoint-NNNNNN.ckpt` atomically:
 *   model weights, optimizer slots, epoch, step, history and early-stopping state. `resume: true`
 *   continues from the newest one (and fails with `ConfigError` if it was written with another seed,
 *   batch size, data size or model).
 * - **Errors**: options are validated before any work (`ConfigError`, `ShapeMismatchError`).
 *
 * Call `await initBackend()` before building the model. The library never prints: follow progress
 * with `onEvent`.
 *
 * @example
 * const { history } = await train({
 *   model, data: { x, y }, epochs: 5, batchSize: 64, seed: 1,
 *   optimizer: { name: 'adam', learningRate: 1e-3 },
 *   validation: { x: xVal, y: yVal },
 *   onEvent: (e) => { if (e.type === 'epoch-end') console.log(e.epoch, e.loss, e.valAccuracy); },
 * });
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const p = plan(options);
  const { model, optimizer, batchSize, seed } = p;
  const emit = (event: TrainEvent): void => options.onEvent?.(event);
  const rows = p.x.shape[0]!;
  const inputDims = p.x.shape.slice(1);
  const rowSize = p.x.size / rows;
  const targetInfo = p.targets.map(([name, t]) => ({ name, tensor: t, rowSize: t.size / rows, dims: t.shape.slice(1) }));
  const batches = Math.ceil(rows / batchSize);
  const es = options.earlyStopping;
  const minDelta = es?.minDelta ?? 0;
  const fingerprint = {
    seed,
    batchSize,
    rows,
    optimizer: optimizer.getClassName(),
    weights: model.weights.map((w) => formatShape(w.shape)).join(' '),
  };

  let history: EpochMetrics[] = [];
  let startEpoch = 0;
  const usageAtStart = kernelUsage();
  let step = 0;
  let esState: EarlyStoppingState = { best: null, bestEpoch: 0, wait: 0, stopped: false };
  let bestWeights: NamedArray[] | undefined;

  if (options.resume && options.checkpointDir) {
    const found = await loadLatestCheckpoint(options.checkpointDir);
    if (found) {
      const { state } = found;
      for (const [key, value] of Object.entries(fingerprint)) {
        if (state.fingerprint[key] !== value) {
          throw new ConfigError('resume', `${found.path} was written with ${key} = ${state.fingerprint[key]}, this run has ${value}`);
        }
      }
      setModelArrays(model, state.groups['model'] ?? [], found.path);
      await setOptimizerArrays(optimizer, state.groups['optimizer'] ?? []);
      history = state.history;
      startEpoch = state.epoch;
      step = state.step;
      esState = state.earlyStopping;
      bestWeights = state.groups['best'];
      emit({ type: 'resume', path: found.path, epoch: state.epoch });
    }
  }

  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const validation = p.validation ? { x: p.validation.x.toTfjs(), y: tf.tensor1d(p.validation.y, 'int32') } : undefined;
  const scoreBatch = Math.max(batchSize, 256);

  try {
    for (let epoch = startEpoch + 1; epoch <= p.epochs && !esState.stopped; epoch++) {
      const epochStart = performance.now();
      emit({ type: 'epoch-start', epoch, epochs: p.epochs });
      const order = new Rng(mixSeed(seed, epoch)).permutation(rows);
      let lossSum = 0;
      let correct = 0;
      let labelled = 0;
      let trainMs = 0;
      for (let b = 0; b < batches; b++) {
        options.signal?.throwIfAborted();
        const stepStart = performance.now();
        const idx = order.subarray(b * batchSize, Math.min(rows, (b + 1) * batchSize));
        const n = idx.length;
        const xBatch = gatherRows(p.x.data, rowSize, idx);
        const yBatch = new Int32Array(n);
        for (let i = 0; i < n; i++) yBatch[i] = p.y[idx[i]!]!;
        const targetBatches = targetInfo.map((t) => ({ ...t, data: gatherRows(t.tensor.data, t.rowSize, idx) }));

        let stats: Float32Array | Int32Array | Uint8Array;
        let counts: tf.Tensor | undefined;
        tf.engine().startScope();
        try {
          const xT = tf.tensor(xBatch, [n, ...inputDims], 'float32');
          const yT = tf.tensor1d(yBatch, 'int32');
          const targets: Record<string, tf.Tensor> = {};
          for (const t of targetBatches) targets[t.name] = tf.tensor(t.data, [n, ...t.dims], 'float32');
          const stepNumber = step;
          const { value, grads } = withSeededRandom(mixSeed(seed, epoch, b, 0x5eed), () =>
            optimizer.computeGradients(() => {
              const out = model.apply(xT, { training: true }) as tf.Tensor2D;
              const logits = p.probabilities ? (tf.log(tf.maximum(out, minProbability)) as tf.Tensor2D) : out;
              let loss = p.loss({ logits, labels: yT, targets, x: xT, epoch, step: stepNumber });
              if (!(loss instanceof tf.Tensor) || loss.rank !== 0) {
                throw new ConfigError('loss', `must return a scalar tf.Tensor, got ${loss instanceof tf.Tensor ? `shape ${formatShape(loss.shape)}` : typeof loss}`);
              }
              for (const r of model.calculateLosses()) loss = tf.add(loss, r);
              counts = tf.keep(accuracyCounts(logits, yT));
              return loss;
            }, variables),
          );
          stats = tf.concat([tf.reshape(value, [1]), counts!]).dataSync();
          const loss = stats[0]!;
          if (!Number.isFinite(loss)) {
            throw new TrainingError({ epoch, batch: b + 1, message: `loss is ${loss} (the step was not applied); lower the learning rate or check the data` });
          }
          optimizer.applyGradients(grads);
        } finally {
          counts?.dispose();
          tf.engine().endScope();
        }
        step++;
        trainMs += performance.now() - stepStart;
        lossSum += stats[0]! * n;
        correct += stats[1]!;
        labelled += stats[2]!;
        emit({ type: 'batch', epoch, batch: b + 1, batches, loss: stats[0]! });
        if (options.afterStep) await options.afterStep({ step, epoch, batch: b + 1, batches });
        // Let timers and I/O run so an abort requested from outside can land between batches.
        if (options.signal) await new Promise<void>((resolve) => setImmediate(resolve));
      }

      const metrics: EpochMetrics = {
        epoch,
        loss: lossSum / rows,
        accuracy: labelled > 0 ? correct / labelled : null,
        samplesPerSecond: rows / (trainMs / 1000),
        seconds: 0,
      };
      if (validation) {
        const v = score(model, validation.x, validation.y, scoreBatch, p.probabilities);
        metrics.valLoss = v.loss;
        metrics.valAccuracy = v.accuracy;
      }
      if (es) {
        const value = es.monitor === 'val_loss' ? metrics.valLoss! : metrics.valAccuracy!;
        const improved =
          esState.best === null || (es.monitor === 'val_loss' ? value < esState.best - minDelta : value > esState.best + minDelta);
        if (improved) {
          esState = { best: value, bestEpoch: epoch, wait: 0, stopped: false };
          if (es.restoreBestWeights) bestWeights = modelArrays(model);
        } else {
          esState = { ...esState, wait: esState.wait + 1 };
          if (esState.wait >= es.patience) esState.stopped = true;
        }
      }
      // Measured before the checkpoint is written, so the checkpoint holds the same history as memory.
      metrics.seconds = (performance.now() - epochStart) / 1000;
      let checkpointPath: string | undefined;
      if (options.checkpointDir) {
        const state: CheckpointState = {
          epoch,
          step,
          fingerprint,
          history: [...history, metrics],
          earlyStopping: esState,
          groups: {
            model: modelArrays(model),
            optimizer: await optimizerArrays(optimizer),
            ...(bestWeights ? { best: bestWeights } : {}),
          },
        };
        checkpointPath = await saveCheckpoint(options.checkpointDir, state, p.keep);
      }
      history.push(metrics);
      emit({ type: 'epoch-end', ...metrics });
      if (checkpointPath) emit({ type: 'checkpoint', path: checkpointPath, epoch });
      if (esState.stopped && es) {
        emit({ type: 'early-stop', epoch, bestEpoch: esState.bestEpoch, monitor: es.monitor, best: esState.best! });
      }
    }
    if (es?.restoreBestWeights && bestWeights) setModelArrays(model, bestWeights, 'best weights');
  } finally {
    if (validation) tf.dispose([validation.x, validation.y]);
  }

  const kernels = kernelUsageSince(usageAtStart);
  const result: TrainHistory = {
    epochs: history,
    backend: tf.getBackend(),
    ...(kernels ? { kernels } : {}),
    samplesPerSecond: overallThroughput(history, rows),
    stoppedEarly: esState.stopped,
    bestEpoch: es ? esState.bestEpoch : bestEpochOf(history),
  };
  emit({ type: 'done', history: result });
  return { model, history: result };
}
