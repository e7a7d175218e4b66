import type { DistillEvent } from '@shrinkray/distill';
import type { EnsembleProgress } from '@shrinkray/ensemble';
import type { PruneProgress } from '@shrinkray/prune';
import type { TrainEvent } from '@shrinkray/tensor-core';
import { distillTable, ensembleTable, pruneTable, type ScalarOptions, trainTable } from './scalars.js';
import { fromTable, type Position, type ScalarSink } from './table.js';

export type { ScalarOptions } from './scalars.js';
export type { ScalarSink } from './table.js';

/**
 * An `onEvent` for tensor-core's `train()` (and distill's `trainAlone`) that logs `batch/loss` per
 * optimizer step and `epoch/{loss,accuracy,val_loss,val_accuracy,learning_rate,samples_per_second}`
 * per epoch to `sink` (a `TensorBoardWriter`).
 */
export function tensorboardForTraining(sink: ScalarSink, options: ScalarOptions = {}): (event: TrainEvent) => void {
  const position: Position = { epoch: 0, step: 0 };
  return fromTable(trainTable(position, options), sink, position);
}

/**
 * An `onEvent` for `distill()`: the training scalars of the distillation stage (those of a hint stage
 * under `hint/`), then `test/accuracy` (the student), `test/teacher_accuracy` and `test/agreement` at
 * the last epoch.
 */
export function tensorboardForDistill(sink: ScalarSink, options: ScalarOptions = {}): (event: DistillEvent) => void {
  const position: Position = { epoch: 0, step: 0 };
  const stages = {
    hint: fromTable(trainTable(position, options, 'hint/'), sink, position),
    distill: fromTable(trainTable(position, options), sink, position),
  };
  return fromTable(distillTable((stage) => stages[stage]), sink, position);
}

/**
 * An `onEvent` for `prune()`: `prune/sparsity` at each pruning update's optimizer step, the
 * fine-tuning scalars, `test/accuracy_before` (step 0) and `test/accuracy` (at the last fine-tuning
 * epoch), and the measured `prune/measured_sparsity` and `prune/model_sparsity` at the last step.
 */
export function tensorboardForPrune(sink: ScalarSink, options: ScalarOptions = {}): (event: PruneProgress) => void {
  const position: Position = { epoch: 0, step: 0 };
  const train = fromTable(trainTable(position, options), sink, position);
  return fromTable(pruneTable(train), sink, position);
}

/** An `onProgress` for `createEnsemble()`: `fit/<aggregator>_loss` per fitting iteration. */
export function tensorboardForEnsemble(sink: ScalarSink): (event: EnsembleProgress) => void {
  return fromTable(ensembleTable(), sink);
}
