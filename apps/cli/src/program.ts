import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerDistill } from './commands/distill.js';
import { registerEnsemble } from './commands/ensemble.js';
import { registerEval } from './commands/eval.js';
import { registerExport } from './commands/export.js';
import { registerInspect } from './commands/inspect.js';
import { registerPrune } from './commands/prune.js';
import { registerQuantize } from './commands/quantize.js';
import { type GlobalOptions, processIo, reportError } from './io.js';
import { Registry } from '@shrinkray/tensor-core';
import { configFileName, configuredPlugins, findConfigFile, loadPlugins, pluginArgs } from './plugins.js';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Builds the `shrinkray` program. Exported for tests. */
export function createProgram(): Command {
  const program = new Command('shrinkray')
    .description('Make neural networks smaller, faster and better: distill, prune, ensemble (tfjs + ONNX Runtime)')
    .version(packageJson.version)
    .option('--json', 'print exactly one JSON object on stdout')
    .option('-q, --quiet', 'no progress output')
    .option('--verbose', 'show stack traces on errors')
    .option('--seed <n>', 'random seed', parseSeed, 0)
    .option('--plugin <package>', 'load a plugin package or file (repeatable)', collect, [])
    .option('--config <file>', `read "plugins" from this config file (default: the ${configFileName} beside the nearest package.json)`)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const io = () => processIo(Boolean(globals().quiet));
  program.addHelpText('afterAll', registeredNames);
  registerInspect(program, io, globals);
  registerEval(program, io, globals);
  registerDistill(program, io, globals);
  registerExport(program, io, globals);
  registerBench(program, io, globals);
  registerEnsemble(program, io, globals);
  registerPrune(program, io, globals);
  registerQuantize(program, io, globals);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** The names in every shared registry (built-ins and loaded plugins), for the end of `--help`. */
function registeredNames(): string {
  const lines = [...Registry.allShared()].map(([kind, registry]) => `  ${kind.padEnd(15)} ${registry.list().join(', ') || '(none)'}`);
  return lines.length === 0 ? '' : `\nRegistered (built-ins and plugins):\n${lines.join('\n')}`;
}

/**
 * Loads the plugins the user asked for, before commander parses (so `--help` lists their names):
 * those of the config file (`--config FILE`, else the one beside the nearest package.json), then each
 * `--plugin`. Says on stderr which were loaded and from where.
 */
async function loadRequestedPlugins(argv: readonly string[]): Promise<void> {
  const { plugins, config } = pluginArgs(argv);
  const configFile = findConfigFile(process.cwd(), config);
  const requests = [...(configFile ? configuredPlugins(configFile) : []), ...plugins.map((spec) => ({ spec, from: '--plugin' as const }))];
  await loadPlugins(requests, (line) => process.stderr.write(line));
}

/** Runs the CLI and returns the exit code (0 ok, 1 failure, 2 usage). */
export async function run(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await loadRequestedPlugins(argv.slice(2));
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    const verbose = argv.includes('--verbose');
    return reportError(processIo(true), error, verbose);
  }
}
