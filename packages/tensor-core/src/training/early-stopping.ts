import type { EarlyStoppingState, NamedArray } from './checkpoint.js';
import type { EarlyStoppingOptions, EpochMetrics } from './types.js';

/**
 * Keras-style early stopping: after each epoch, `update` compares the monitored validation value with
 * the best so far; `patience` epochs without an improvement of at least `minDelta` stop training.
 * With `restoreBestWeights` it keeps a copy of the best epoch's weights. Its whole state is saved in
 * checkpoints, so a resumed run stops where an uninterrupted one would.
 */
export class EarlyStopping {
  state: EarlyStoppingState = { best: null, bestEpoch: 0, wait: 0, stopped: false };
  /** The best epoch's weights (with `restoreBestWeights`). */
  bestWeights: NamedArray[] | undefined;

  constructor(readonly options: EarlyStoppingOptions | undefined) {}

  get stopped(): boolean {
    return this.state.stopped;
  }

  /** Puts back a checkpoint's state. */
  restore(state: EarlyStoppingState, bestWeights: NamedArray[] | undefined): void {
    this.state = state;
    this.bestWeights = bestWeights;
  }

  /** Records an epoch's metrics; `weights` is called only when the epoch is the best and weights are kept. */
  update(metrics: EpochMetrics, weights: () => NamedArray[]): void {
    const es = this.options;
    if (!es) return;
    const minDelta = es.minDelta ?? 0;
    const value = es.monitor === 'val_loss' ? metrics.valLoss! : metrics.valAccuracy!;
    const best = this.state.best;
    const improved = best === null || (es.monitor === 'val_loss' ? value < best - minDelta : value > best + minDelta);
    if (improved) {
      this.state = { best: value, bestEpoch: metrics.epoch, wait: 0, stopped: false };
      if (es.restoreBestWeights) this.bestWeights = weights();
    } else {
      const wait = this.state.wait + 1;
      this.state = { ...this.state, wait, stopped: wait >= es.patience };
    }
  }
}
