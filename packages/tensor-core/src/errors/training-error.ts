import { ShrinkrayError } from './shrinkray-error.js';

/** Training cannot go on, e.g. the loss became NaN or Infinity. Names the epoch and batch. */
export class TrainingError extends ShrinkrayError<'TRAINING'> {
  readonly epoch: number;
  readonly batch: number;

  constructor(args: { epoch: number; batch: number; message: string }) {
    super('TRAINING', `epoch ${args.epoch}, batch ${args.batch}: ${args.message}`);
    this.epoch = args.epoch;
    this.batch = args.batch;
  }

  static override isInstance(error: unknown): error is TrainingError {
    return ShrinkrayError.isInstance(error) && error.code === 'TRAINING';
  }
}
