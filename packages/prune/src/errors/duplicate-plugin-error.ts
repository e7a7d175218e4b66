import { ShrinkrayError } from '@shrinkray/tensor-core';

/** A different plugin was registered under a name that is already taken. */
export class DuplicatePluginError extends ShrinkrayError {
  readonly kind: string;
  readonly pluginName: string;

  constructor(kind: string, name: string) {
    super('DUPLICATE_PLUGIN', `a different ${kind} is already registered as '${name}'`);
    this.kind = kind;
    this.pluginName = name;
  }

  static override isInstance(error: unknown): error is DuplicatePluginError {
    return ShrinkrayError.isInstance(error) && error.code === 'DUPLICATE_PLUGIN';
  }
}
