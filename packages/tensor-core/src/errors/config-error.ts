import { ShrinkrayError } from './shrinkray-error.js';

/** An option has a value that cannot work. Names the option, what was expected and what was given. */
export class ConfigError extends ShrinkrayError<'CONFIG'> {
  readonly option: string;

  constructor(option: string, message: string) {
    super('CONFIG', `${option}: ${message}`);
    this.option = option;
  }

  static override isInstance(error: unknown): error is ConfigError {
    return ShrinkrayError.isInstance(error) && error.code === 'CONFIG';
  }
}
