import type { Dataset, LossFn, Model, OptimizerConfig, TrainEvent, tfl } from '@shrinkray/tensor-core';

/** The numbers every distillation loss is built from (validated by `distill` before training). */
export interface LossSettings {
  /** Softmax temperature τ > 0 of the soft-target term. */
  temperature: number;
  /** Weight of the soft-target term in the normalised form `(1−α)·CE + α·τ²·KL`, in [0, 1]. */
  alpha: number;
  /** Weight of the soft-target term in the additive form `CE + λ·τ²·KL`, >= 0. */
  lambda: number;
  /** Number of classes of teacher and student. */
  numClasses: number;
}

/** What a loss plugin's optional `prepare` stage receives (it runs once, before the main training). */
export interface PrepareContext {
  /** The resolved teacher; `layersModel` is set when the teacher is a single tfjs model. */
  teacher: { name: string; model?: Model; layersModel?: tfl.LayersModel };
  /** The student, trained in place. */
  student: tfl.LayersModel;
  /** Every training example (labelled and transfer rows). */
  data: Dataset;
  /** Loss-specific options (`DistillOptions.lossOptions`). */
  options: Readonly<Record<string, unknown>>;
  batchSize: number;
  seed: number;
  /** The main training's epochs (a stage may use its own count from `options`). */
  epochs: number;
  optimizer: OptimizerConfig;
  /** Progress of the stage's own training (forwarded to the caller with `stage` set). */
  onEvent: (event: TrainEvent) => void;
  signal?: AbortSignal;
}

/**
 * A distillation loss, as registered in a {@link LossRegistry}. `create` returns a tensor-core
 * training loss; it reads the batch's cached teacher logits from `targets.teacher` (`[B, C]`) and the
 * labels from `labels` (`-1` marks a transfer-set row without a label).
 *
 * @example
 * registerLoss({
 *   name: 'soft-only',
 *   description: 'τ²·KL only, labels ignored',
 *   weight: 'none',
 *   create: ({ temperature }) => ({ logits, targets }) => softTargetLoss(logits, targets.teacher as tf.Tensor2D, temperature),
 * });
 */
export interface DistillLoss {
  readonly name: string;
  /** One line for `--help` and listings. */
  readonly description: string;
  /** Which weight the loss reads, so callers know whether `alpha` or `lambda` applies. */
  readonly weight: 'alpha' | 'lambda' | 'none';
  create(settings: LossSettings): LossFn;
  /** An optional stage before the main training, e.g. the `hint` loss's FitNets hint training. */
  prepare?(context: PrepareContext): Promise<void>;
}


