import { Option } from 'commander';
import type { DistillEvent } from '@shrinkray/distill';
import type { EnsembleProgress } from '@shrinkray/ensemble';
import type { PruneProgress } from '@shrinkray/prune';
import { type ScalarOptions, type ScalarSink, TensorBoardWriter, tensorboardForDistill, tensorboardForEnsemble, tensorboardForPrune } from '@shrinkray/tensorboard';

/**
 * `--logdir DIR` of `distill`, `prune` and `ensemble`: TensorBoard event files written straight into
 * DIR (one run; point `tensorboard --logdir` at DIR or at its parent to compare runs).
 */
export const logdirOption = (): Option =>
  new Option('--logdir <dir>', 'write TensorBoard event files to DIR (loss, accuracy, learning rate, sparsity per step and epoch)');

type Adapter<E> = (sink: ScalarSink, options: ScalarOptions) => (event: E) => void;

/**
 * `next`, and when the command's options have `logdir`, also a TensorBoard writer fed by `adapter`.
 * The event file is created at once (a bad directory fails before training); it is synced and closed
 * at the driver's `done` event (records are on disk from the moment they are logged).
 */
function tee<E extends { readonly type: string }>(options: object, adapter: Adapter<E>, next: (event: E) => void): (event: E) => void {
  const { logdir, learningRate } = options as { logdir?: string; learningRate?: string };
  if (logdir === undefined) return next;
  const writer = TensorBoardWriter.open(logdir);
  const log = adapter(writer, learningRate === undefined ? {} : { learningRate: Number(learningRate) });
  return (event) => {
    next(event);
    if (writer.closed) return;
    log(event);
    if (event.type === 'done') writer.close();
  };
}

/** Per command: the `onEvent` (`onProgress`) to pass to its driver, given the parsed options and the command's own handler. */
export const logdirFor = {
  distill: (options: object, next: (event: DistillEvent) => void) => tee(options, tensorboardForDistill, next),
  prune: (options: object, next: (event: PruneProgress) => void) => tee(options, tensorboardForPrune, next),
  ensemble: (options: object, next: (event: EnsembleProgress) => void) => tee(options, tensorboardForEnsemble, next),
};
