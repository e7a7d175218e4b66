import { ShrinkrayError } from './shrinkray-error.js';

/**
 * A registry lookup or registration failed: an unknown name (the message lists the registered ones)
 * or a different plugin registered under a taken name.
 */
export class PluginError extends ShrinkrayError<'UNKNOWN_PLUGIN' | 'PLUGIN_CONFLICT'> {
  /** Which registry, e.g. `aggregator`, `pruning criterion`, `ONNX op importer`. */
  readonly registry: string;
  readonly key: string;
  /** Registered names at the time of the error. */
  readonly registered: readonly string[];

  constructor(args: { registry: string; key: string; reason: 'unknown' | 'conflict'; registered: readonly string[] }) {
    const detail =
      args.reason === 'unknown'
        ? `unknown ${args.registry} "${args.key}"; registered: ${args.registered.join(', ') || '(none)'}`
        : `a different ${args.registry} is already registered as "${args.key}"`;
    super(args.reason === 'unknown' ? 'UNKNOWN_PLUGIN' : 'PLUGIN_CONFLICT', detail);
    this.registry = args.registry;
    this.key = args.key;
    this.registered = args.registered;
  }

  static override isInstance(error: unknown): error is PluginError {
    return ShrinkrayError.isInstance(error) && (error.code === 'UNKNOWN_PLUGIN' || error.code === 'PLUGIN_CONFLICT');
  }
}
