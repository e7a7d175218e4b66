import type { DistillEvent } from '@shrinkray/distill';
import type { EnsembleProgress } from '@shrinkray/ensemble';
import type { PruneProgress } from '@shrinkray/prune';
import type { TrainEvent } from '@shrinkray/tensor-core';
import type { EventTable, Position } from './table.js';

// The mapping from every driver's events to TensorBoard scalars, in one place. A renamed event type
// or field is a one-line edit here. Tags: `batch/*` and `prune/*` at the optimizer step, `epoch/*`
// at the epoch, `test/*` after training at the last epoch (`test/accuracy_before` of prune at 0).

/** Options the events do not carry. */
export interface ScalarOptions {
  /** Logged as `epoch/learning_rate` at every epoch end (the optimizer's constant rate). */
  learningRate?: number;
}

/** `train()`'s events (the training loop of every driver); `prefix` separates stages such as `hint/`. */
export function trainTable(position: Position, options: ScalarOptions, prefix = ''): EventTable<TrainEvent> {
  return {
    batch: (e, { log }) => {
      position.step = (e.epoch - 1) * e.batches + e.batch;
      log(`${prefix}batch/loss`, e.loss, position.step);
    },
    'epoch-end': (e, { log }) => {
      position.epoch = e.epoch;
      log(`${prefix}epoch/loss`, e.loss, e.epoch);
      log(`${prefix}epoch/accuracy`, e.accuracy, e.epoch);
      log(`${prefix}epoch/val_loss`, e.valLoss, e.epoch);
      log(`${prefix}epoch/val_accuracy`, e.valAccuracy, e.epoch);
      log(`${prefix}epoch/learning_rate`, options.learningRate, e.epoch);
      log(`${prefix}epoch/samples_per_second`, e.samplesPerSecond, e.epoch);
    },
  };
}

/** `distill()`'s events: training of each stage, then the test accuracies of the summary. */
export function distillTable(train: (stage: 'hint' | 'distill') => (event: TrainEvent) => void): EventTable<DistillEvent> {
  return {
    train: (e) => train(e.stage)(e.event),
    done: ({ summary }, { log }) => {
      log('test/accuracy', summary.student.accuracy, summary.epochs);
      log('test/teacher_accuracy', summary.teacher.accuracy, summary.epochs);
      log('test/agreement', summary.agreement, summary.epochs);
    },
  };
}

/** `prune()`'s events: the sparsity schedule at its optimizer steps, fine-tuning, accuracy before and after. */
export function pruneTable(train: (event: TrainEvent) => void): EventTable<PruneProgress> {
  return {
    prune: (e, { log }) => log('prune/sparsity', e.sparsity, e.step),
    train: (e) => train(e.event),
    evaluate: (e, ctx) => {
      if (e.phase === 'before') ctx.log('test/accuracy_before', e.accuracy, 0);
      else ctx.log('test/accuracy', e.accuracy, ctx.epoch);
    },
    done: ({ report }, { log, step }) => {
      log('prune/measured_sparsity', report.sparsity, step);
      log('prune/model_sparsity', report.modelSparsity, step);
    },
  };
}

/** `createEnsemble()`'s events: the objective of fitted aggregators (`optimized`, `stacking`) per iteration. */
export function ensembleTable(): EventTable<EnsembleProgress> {
  return {
    fit: (e, { log }) => log(`fit/${e.aggregator}_loss`, e.loss, e.iteration),
  };
}
