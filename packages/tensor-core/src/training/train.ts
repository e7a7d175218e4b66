import * as tf from '@tensorflow/tfjs-core';
import { checkDatasetOption, type Dataset } from '../data/dataset.js';
import { checkModelFitsData, labelledIndices } from '../data/predict.js';
import { ConfigError } from '../errors/config-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { adaptInput, type DeclaredShape } from '../layout.js';
import { TfjsModel } from '../model.js';
import { formatShape, Tensor } from '../tensor.js';
import { Checkpointer, modelArrays, setModelArrays } from './checkpointer.js';
import { EarlyStopping } from './early-stopping.js';
import { sparseCrossEntropy } from './losses.js';
import { kernelUsage, kernelUsageSince } from '../wasm-kernels/ort/runtime.js';
import { createOptimizer } from './optimizer.js';
import { mixSeed, type StepContext, scoreDataset, trainStep } from './step.js';
import type { EpochMetrics, TrainEvent, TrainHistory, TrainOptions, TrainResult } from './types.js';

export { mixSeed } from './step.js';

function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** Checks one example of `data` can be fed to a model declaring `inputShape` (before any training). */
function checkExampleShape(data: Dataset, inputShape: DeclaredShape, option: string): void {
  if (data.dtype === 'int32') {
    const declared = inputShape.slice(1);
    const ok = declared.length === data.exampleShape.length && declared.every((d, i) => typeof d !== 'number' || d === data.exampleShape[i]);
    if (!ok) throw new ShapeMismatchError({ tensor: option, expected: `model input ${formatShape(inputShape)}`, found: `token ids ${formatShape([data.size, ...data.exampleShape])}` });
    return;
  }
  const one = new Tensor('float32', [1, ...data.exampleShape], new Float32Array(data.exampleShape.reduce((a, b) => a * b, 1)));
  try {
    adaptInput(one, inputShape, option);
  } catch (error) {
    if (ShapeMismatchError.isInstance(error)) {
      throw new ShapeMismatchError({ tensor: option, expected: `model input ${formatShape(inputShape)}`, found: `data ${formatShape([data.size, ...data.exampleShape])}` });
    }
    throw error;
  }
}

function checkDataset(value: unknown, option: string, classes: number, inputShape: DeclaredShape): Dataset {
  const data = checkDatasetOption(value, option);
  if (labelledIndices(data).length > 0) checkModelFitsData({ name: 'being trained', numClasses: classes }, data);
  checkExampleShape(data, inputShape, option);
  return data;
}

/** Validates every option before any training work; throws `ConfigError` / `ShapeMismatchError` / `DataError`. */
function plan(options: TrainOptions) {
  const { model } = options;
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
  const data = checkDataset(options.data, 'data', classes, wrapped.inputShape);
  if (!options.loss && labelledIndices(data).length === 0) throw new ConfigError('data', `has no labelled examples (all -1); the default cross-entropy loss needs labels`);
  const targets = Object.entries(options.targets ?? {});
  for (const [name, t] of targets) {
    if (!(t instanceof Tensor) || t.dtype !== 'float32' || t.rank < 1) throw new ConfigError(`targets.${name}`, 'must be a batch-first float32 Tensor');
    if (t.shape[0] !== data.size) {
      throw new ShapeMismatchError({ tensor: `targets.${name}`, expected: `${data.size} rows (one per example of ${data.name})`, found: formatShape(t.shape) });
    }
  }
  let validation: Dataset | undefined;
  if (options.validation) {
    validation = checkDataset(options.validation, 'validation', classes, wrapped.inputShape);
    if (labelledIndices(validation).length === 0) throw new ConfigError('validation', `has no labelled examples (${validation.name})`);
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
  return { data, targets, validation, optimizer, seed, keep, inputShape: wrapped.inputShape, probabilities: wrapped.outputKind === 'probabilities' };
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
 * - **Data**: a `Dataset`, in memory or streamed: both train identically (same seed, same weights).
 *   Examples are adapted to the model's input layout a batch at a time; labels are `-1`
 *   (`UNLABELLED`) for unlabelled rows; `targets` arrays (e.g. cached teacher logits) are looked up
 *   by each batch's `indices` and handed to the loss.
 * - **Order and randomness**: examples are shuffled every epoch with a seed mixed from `(seed, epoch)`;
 *   dropout masks in step `b` of epoch `e` come from a generator seeded from `(seed, e, b)` (tfjs
 *   itself draws them from `Math.random`, which is replaced during each synchronous step). The same
 *   seed gives the same weights, and a resumed run gives the weights of an uninterrupted one. Weight
 *   *initialisation* is the model's business: build it with seeded initialisers.
 * - **Step** (`trainStep`): gradients of `loss` (plus any layer regularisation losses) for the
 *   model's trainable weights; a NaN/Infinity loss stops training with a `TrainingError` naming the
 *   epoch and batch *before* that step's update is applied.
 * - **Validation / early stopping** (`EarlyStopping`): after every epoch the validation set is scored
 *   (cross-entropy and accuracy); training stops when the monitored value has not improved by
 *   `minDelta` for `patience` epochs, and `restoreBestWeights` puts back the best epoch's weights.
 * - **Checkpoints** (`Checkpointer`): with `checkpointDir`, each epoch writes one
 *   `checkpoint-NNNNNN.ckpt` atomically: weights, optimizer slots, epoch, step, history,
 *   early-stopping state and every named `extraState` (pruning masks, a teacher-logit cache, an RNG).
 *   `resume: true` continues from the newest one (and fails with `ConfigError` if it was written with
 *   another seed, batch size, data size or model).
 * - **Errors**: options are validated before any work (`ConfigError`, `ShapeMismatchError`, `DataError`).
 *
 * Call `await initBackend()` before building the model. The library never prints: follow progress
 * with `onEvent`.
 *
 * @example
 * const { history } = await train({
 *   model, data: Dataset.fromArrays(x, y), epochs: 5, batchSize: 64, seed: 1,
 *   optimizer: { name: 'adam', learningRate: 1e-3 },
 *   validation: Dataset.fromArrays(xVal, yVal),
 *   onEvent: (e) => { if (e.type === 'epoch-end') console.log(e.epoch, e.loss, e.valAccuracy); },
 * });
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const p = plan(options);
  const { model } = options;
  const { data, optimizer, seed } = p;
  const batchSize = options.batchSize;
  const emit = (event: TrainEvent): void => options.onEvent?.(event);
  const rows = data.size;
  const batches = Math.ceil(rows / batchSize);
  const stopper = new EarlyStopping(options.earlyStopping);
  const checkpointer = new Checkpointer(
    options.checkpointDir,
    p.keep,
    { seed, batchSize, rows, optimizer: optimizer.getClassName(), weights: model.weights.map((w) => formatShape(w.shape)).join(' ') },
    options.extraState ?? {},
  );

  let history: EpochMetrics[] = [];
  let startEpoch = 0;
  const usageAtStart = kernelUsage();
  let step = 0;
  if (options.resume) {
    const resumed = await checkpointer.resume(model, optimizer);
    if (resumed) {
      history = resumed.history;
      startEpoch = resumed.epoch;
      step = resumed.step;
      stopper.restore(resumed.earlyStopping, resumed.best);
      emit({ type: 'resume', path: resumed.path, epoch: resumed.epoch });
    }
  }

  const ctx: StepContext = {
    model,
    optimizer,
    variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    loss: options.loss ?? (({ logits, labels }) => sparseCrossEntropy(logits, labels)),
    probabilities: p.probabilities,
    inputShape: p.inputShape,
    targets: p.targets,
    seed,
  };
  const signal = options.signal;
  for (let epoch = startEpoch + 1; epoch <= options.epochs && !stopper.stopped; epoch++) {
    const epochStart = performance.now();
    emit({ type: 'epoch-start', epoch, epochs: options.epochs });
    let lossSum = 0;
    let correct = 0;
    let labelled = 0;
    let trainMs = 0;
    let b = 0;
    const order = data.batches({ batchSize, seed: mixSeed(seed, epoch), prefetch: options.prefetch ?? 1, ...(signal ? { signal } : {}) });
    for await (const batch of order) {
      signal?.throwIfAborted();
      const stepStart = performance.now();
      const s = trainStep(ctx, batch, epoch, b, step);
      step++;
      b++;
      trainMs += performance.now() - stepStart;
      lossSum += s.loss * batch.indices.length;
      correct += s.correct;
      labelled += s.labelled;
      emit({ type: 'batch', epoch, batch: b, batches, loss: s.loss });
      if (options.afterStep) await options.afterStep({ step, epoch, batch: b, batches });
      // Let timers and I/O run so an abort requested from outside can land between batches.
      if (signal) await new Promise<void>((resolve) => setImmediate(resolve));
    }

    const metrics: EpochMetrics = {
      epoch,
      loss: lossSum / rows,
      accuracy: labelled > 0 ? correct / labelled : null,
      samplesPerSecond: rows / (trainMs / 1000),
      seconds: 0,
    };
    if (p.validation) {
      const v = await scoreDataset(model, p.validation, { batchSize: Math.max(batchSize, 256), probabilities: p.probabilities, inputShape: p.inputShape, ...(signal ? { signal } : {}) });
      metrics.valLoss = v.loss;
      metrics.valAccuracy = v.accuracy;
    }
    stopper.update(metrics, () => modelArrays(model));
    // Measured before the checkpoint is written, so the checkpoint holds the same history as memory.
    metrics.seconds = (performance.now() - epochStart) / 1000;
    const checkpointPath = await checkpointer.save(model, optimizer, { epoch, step, history: [...history, metrics], earlyStopping: stopper.state, best: stopper.bestWeights });
    history.push(metrics);
    emit({ type: 'epoch-end', ...metrics });
    if (checkpointPath) emit({ type: 'checkpoint', path: checkpointPath, epoch });
    if (stopper.stopped && options.earlyStopping) {
      emit({ type: 'early-stop', epoch, bestEpoch: stopper.state.bestEpoch, monitor: options.earlyStopping.monitor, best: stopper.state.best! });
    }
  }
  if (options.earlyStopping?.restoreBestWeights && stopper.bestWeights) setModelArrays(model, stopper.bestWeights, 'best weights');

  const kernels = kernelUsageSince(usageAtStart);
  const result: TrainHistory = {
    epochs: history,
    backend: tf.getBackend(),
    ...(kernels ? { kernels } : {}),
    samplesPerSecond: overallThroughput(history, rows),
    stoppedEarly: stopper.stopped,
    bestEpoch: options.earlyStopping ? stopper.state.bestEpoch : bestEpochOf(history),
  };
  emit({ type: 'done', history: result });
  return { model, history: result };
}
