import { ShrinkrayError } from './shrinkray-error.js';

/** No tfjs backend could be initialised; lists every backend tried and why it failed. */
export class BackendError extends ShrinkrayError<'BACKEND'> {
  readonly attempts: readonly { backend: string; reason: string }[];

  constructor(attempts: readonly { backend: string; reason: string }[]) {
    super('BACKEND', `no tfjs backend could start: ${attempts.map((a) => `${a.backend} (${a.reason})`).join('; ')}`);
    this.attempts = attempts;
  }

  static override isInstance(error: unknown): error is BackendError {
    return ShrinkrayError.isInstance(error) && error.code === 'BACKEND';
  }
}
