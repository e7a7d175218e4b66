import { ShrinkrayError } from '@shrinkray/tensor-core';

/** Global options every command shares. */
export interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  seed?: number;
  plugin?: string[];
  /** `--config FILE`: the plugin config file to read. */
  config?: string;
}

/** Where a command writes: results to stdout, everything else to stderr (docs/cli.md). */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when progress bars may be drawn (stderr is a TTY and not --quiet). */
  interactive: boolean;
}

export const processIo = (quiet: boolean): Io => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: Boolean(process.stderr.isTTY) && !quiet,
});

/** Prints a command's result: one JSON object with --json, else the human text. */
export function emit(io: Io, options: GlobalOptions, result: object, human: () => string): void {
  if (options.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else io.stdout(`${human()}\n`);
}

/** A command-line usage problem (bad option value): one line, exit code 2. */
export class UsageError extends ShrinkrayError<'USAGE'> {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** One line for the user; the stack only with --verbose. Returns the exit code. */
export function reportError(io: Io, error: unknown, verbose: boolean): number {
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`shrinkray: error: ${message.split('\n')[0]}\n`);
  if (verbose && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
  if (ShrinkrayError.isInstance(error) && error.code === 'USAGE') return 2;
  return 1;
}
