import { ShrinkrayError } from '@shrinkray/tensor-core';

/** A criterion, schedule or mode name that is not registered. Lists the registered names. */
export class UnknownPluginError extends ShrinkrayError {
  readonly kind: string;
  readonly pluginName: string;
  readonly known: readonly string[];

  constructor(kind: string, name: string, known: readonly string[]) {
    super('UNKNOWN_PLUGIN', `unknown ${kind} '${name}'; registered: ${known.join(', ') || '(none)'}`);
    this.kind = kind;
    this.pluginName = name;
    this.known = known;
  }

  static override isInstance(error: unknown): error is UnknownPluginError {
    return ShrinkrayError.isInstance(error) && error.code === 'UNKNOWN_PLUGIN';
  }
}
