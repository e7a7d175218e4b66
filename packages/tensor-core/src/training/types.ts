import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '../data/dataset.js';
import type { Tensor } from '../tensor.js';
import type { NamedArray } from './checkpoint.js';
import type { KernelUsage } from '../wasm-kernels/ort/runtime.js';

/** Arguments a training loss receives for one batch (all tensors live only during the step). */
export interface LossArgs {
  /**
   * The model's output for the batch, `[B, C]`: its logits, or `log(p)` when the model's last layer
   * is a softmax (so the loss always sees logits up to a per-row constant).
   */
  logits: tf.Tensor2D;
  /** Labels of the batch, `[B]` int32; `-1` marks an unlabelled example. */
  labels: tf.Tensor1D;
  /** The batch's rows of every `targets` array, in the same order as `x`. */
  targets: Record<string, tf.Tensor>;
  /** The batch input, in the model's layout. */
  x: tf.Tensor;
  /** 1-based epoch. */
  epoch: number;
  /** Optimizer steps completed before this one (0 for the first batch of a run). */
  step: number;
}

/** A training loss: a scalar to minimise, built from tfjs ops so it can be differentiated. */
export type LossFn = (args: LossArgs) => tf.Scalar;

/**
 * An optimizer by name: `adam`, `adamw` (decoupled weight decay, as PyTorch's `AdamW`), `sgd`,
 * `momentum` (SGD with momentum) or `rmsprop`. Adam, AdamW and momentum update all variables in one
 * kernel call per step on the wasm backend.
 */
export interface OptimizerConfig {
  name: 'adam' | 'adamw' | 'sgd' | 'momentum' | 'rmsprop';
  learningRate: number;
  /** `adamw` only: the decoupled weight decay; default 0.01 (PyTorch's). */
  weightDecay?: number;
  /** `momentum` only: the momentum; default 0.9. */
  momentum?: number;
}

/** Stop when a validation metric stops improving (Keras' EarlyStopping). */
export interface EarlyStoppingOptions {
  monitor: 'val_loss' | 'val_accuracy';
  /** Epochs without improvement to tolerate before stopping. */
  patience: number;
  /** The smallest change that counts as an improvement; 0 by default. */
  minDelta?: number;
  /** Put back the weights of the best epoch when training ends (early or not). Default false. */
  restoreBestWeights?: boolean;
}

/**
 * What a piece of extra state (prune masks, a teacher-logit cache, an RNG) looks like inside a
 * checkpoint: any JSON value and any number of named arrays.
 */
export interface ExtraStateSnapshot {
  json?: unknown;
  arrays?: NamedArray[];
}

/**
 * Named state a caller keeps beside the model (pruning masks, a teacher-logit cache, an RNG). `train`
 * saves it inside the same atomic checkpoint as the weights, so the two can never disagree after a
 * kill, and hands it back on resume before training continues.
 */
export interface ExtraState {
  /** The state now (called after an epoch's last step, just before its checkpoint is written). */
  save(): ExtraStateSnapshot | Promise<ExtraStateSnapshot>;
  /** Puts back a saved state (called on resume, after the weights are restored). */
  restore(snapshot: { json: unknown; arrays: NamedArray[] }): void | Promise<void>;
}

/** Information handed to `afterStep`. */
export interface StepInfo {
  /** Optimizer steps completed so far in the whole training (counting resumed epochs), 1 after the first. */
  step: number;
  /** 1-based epoch. */
  epoch: number;
  /** 1-based batch within the epoch. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
}

/** Options of `train`. */
export interface TrainOptions {
  /** The tfjs-layers model to train in place (one input, one `[N, C]` output). */
  model: tfl.LayersModel;
  /**
   * The examples and labels (`UNLABELLED` = -1 for a row without one), in memory or streamed:
   * `Dataset.fromArrays(x, y)` or a data format's `Dataset`. NHWC or flat examples are adapted to the
   * model's input layout a batch at a time.
   */
  data: Dataset;
  /**
   * Per-example arrays `[data.size, ...]` looked up by each batch's `indices` (e.g. cached teacher
   * logits); the loss receives the batch's rows as `targets`.
   */
  targets?: Readonly<Record<string, Tensor<'float32'>>>;
  /** Loss to minimise; default: sparse softmax cross-entropy averaged over the labelled rows. */
  loss?: LossFn;
  /** An optimizer instance, or one by name. Default `{ name: 'adam', learningRate: 1e-3 }`. */
  optimizer?: tf.Optimizer | OptimizerConfig;
  /** Total epochs (a resumed run continues up to this number). */
  epochs: number;
  /** Rows per optimizer step; the last batch of an epoch may be smaller. */
  batchSize: number;
  /** Seed of the per-epoch shuffle and of dropout masks. Default 0. */
  seed?: number;
  /** A labelled set scored after every epoch (`valLoss` = cross-entropy with its labels). */
  validation?: Dataset;
  earlyStopping?: EarlyStoppingOptions;
  /** Write a checkpoint here after every epoch (atomically); keeps the newest `keepCheckpoints`. */
  checkpointDir?: string;
  /** Checkpoints to keep in `checkpointDir`; default 2. */
  keepCheckpoints?: number;
  /** Continue from the newest checkpoint in `checkpointDir` (a fresh start when there is none). */
  resume?: boolean;
  /** Named state saved inside every checkpoint and restored on resume (see {@link ExtraState}). */
  extraState?: Readonly<Record<string, ExtraState>>;
  /** Batches read ahead of the one being trained on (streamed data). Default 1. */
  prefetch?: number;
  /** Called after every optimizer step (e.g. to re-apply pruning masks). May be async. */
  afterStep?: (info: StepInfo) => void | Promise<void>;
  /** Progress events; the library never prints. */
  onEvent?: (event: TrainEvent) => void;
  /** Aborts between batches: `train` rejects with the signal's reason. Finished epochs stay checkpointed. */
  signal?: AbortSignal;
}

/** The numbers of one finished epoch. */
export interface EpochMetrics {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch's rows (as the loss function computed it). */
  loss: number;
  /** Training top-1 accuracy over the epoch's labelled rows; `null` when no row had a label. */
  accuracy: number | null;
  /** Cross-entropy on the validation set (when `validation` is given). */
  valLoss?: number;
  /** Top-1 accuracy on the validation set. */
  valAccuracy?: number;
  /** Training rows per second (optimizer steps only, validation and checkpoint excluded). */
  samplesPerSecond: number;
  /** Wall time of the epoch, validation included (the checkpoint write after it is not). */
  seconds: number;
}

/** What `train` records. */
export interface TrainHistory {
  epochs: EpochMetrics[];
  /** The tfjs backend that ran the training (`wasm`, `cpu`, `tensorflow`). */
  backend: string;
  /**
   * wasm backend: calls of each shrinkray-managed kernel during this training, in ONNX Runtime (`ort`)
   * and on wasm (`wasm`; below the size thresholds, or without onnxruntime-node). Absent elsewhere.
   */
  kernels?: KernelUsage;
  /** Training rows per second over all recorded epochs. */
  samplesPerSecond: number;
  stoppedEarly: boolean;
  /**
   * The best epoch (1-based) by the early-stopping monitor, else by `valLoss` when validating,
   * else by training loss; 0 when no epoch ran.
   */
  bestEpoch: number;
}

/** What `train` returns: the same model, trained, and its history. */
export interface TrainResult {
  model: tfl.LayersModel;
  history: TrainHistory;
}

/** Progress of `train`, as a tagged union. */
export type TrainEvent =
  | { type: 'resume'; path: string; epoch: number }
  | { type: 'epoch-start'; epoch: number; epochs: number }
  | { type: 'batch'; epoch: number; batch: number; batches: number; loss: number }
  | ({ type: 'epoch-end' } & EpochMetrics)
  | { type: 'checkpoint'; path: string; epoch: number }
  | { type: 'early-stop'; epoch: number; bestEpoch: number; monitor: EarlyStoppingOptions['monitor']; best: number }
  | { type: 'done'; history: TrainHistory };
