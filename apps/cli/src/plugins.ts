import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolveInside } from '@shrinkray/tensor-core';
import { UsageError } from './io.js';

/** The plugin config file: `{ "plugins": ["pkg", "./file.js"] }`. */
export const configFileName = 'shrinkray.config.json';

/** A plugin to load and who asked for it: `--plugin` on the command line, or a config file. */
export interface PluginRequest {
  spec: string;
  /** `--plugin`, or the config file that names the plugin (its paths resolve inside its folder). */
  from: '--plugin' | { config: string; index: number };
}

/** A plugin that was imported: the request and the file it resolved to. */
export interface LoadedPlugin extends PluginRequest {
  file: string;
}

interface PackageJson {
  exports?: string | Record<string, unknown>;
  module?: string;
  main?: string;
}

/**
 * The ESM entry of a package directory: `exports["."]` (import/node/default), else module/main, else
 * index.js. The entry is a path read from the package's own package.json, so it must stay inside the
 * package (`PathEscapeError` otherwise).
 */
function packageEntry(dir: string): string {
  const file = path.join(dir, 'package.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  let entry: unknown = json.exports;
  if (entry && typeof entry === 'object' && '.' in entry) entry = (entry as Record<string, unknown>)['.'];
  while (entry && typeof entry === 'object') {
    const conditions = entry as Record<string, unknown>;
    entry = conditions['import'] ?? conditions['node'] ?? conditions['default'];
  }
  return resolveInside(dir, typeof entry === 'string' ? entry : (json.module ?? json.main ?? 'index.js'), `${file} entry point`);
}

function label(request: PluginRequest): string {
  return request.from === '--plugin' ? `--plugin ${request.spec}` : `${request.from.config} plugins[${request.from.index}] "${request.spec}"`;
}

/**
 * Resolves a plugin spec to the file to import. A spec is a path (`./x.js`, a directory holding a
 * package) or a package name looked up in `node_modules` upwards, as Node would. From `--plugin`,
 * paths resolve against `cwd` and may be anywhere (the user typed them); from a config file, paths
 * resolve against the config's folder and must stay inside it (`PathEscapeError` naming the entry).
 */
export function resolvePlugin(request: PluginRequest | string, cwd = process.cwd()): string {
  const req: PluginRequest = typeof request === 'string' ? { spec: request, from: '--plugin' } : request;
  const { spec, from } = req;
  const base = from === '--plugin' ? cwd : path.dirname(from.config);
  if (spec.startsWith('.') || path.isAbsolute(spec)) {
    const target = from === '--plugin' ? path.resolve(cwd, spec) : resolveInside(base, spec, `${from.config} plugins[${from.index}]`);
    if (existsSync(path.join(target, 'package.json'))) return packageEntry(target);
    if (existsSync(target)) return target;
    throw new UsageError(`${label(req)}: no such file`);
  }
  for (let dir = base; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', spec);
    if (existsSync(path.join(candidate, 'package.json'))) return packageEntry(candidate);
    if (path.dirname(dir) === dir) break;
  }
  throw new UsageError(`${label(req)}: package not found in node_modules from ${base}`);
}

/**
 * The config file that applies: the one the user points to (`--config FILE`), else the
 * `shrinkray.config.json` beside the nearest `package.json` walking up from `cwd` (the project the
 * user runs in, as ESLint and Jest resolve configs). A config that merely sits in the working folder
 * (say, a model folder downloaded from a hub) without a package.json is never read.
 */
export function findConfigFile(cwd = process.cwd(), explicit?: string): string | undefined {
  if (explicit !== undefined) {
    const file = path.resolve(cwd, explicit);
    if (!existsSync(file)) throw new UsageError(`--config ${explicit}: no such file`);
    return file;
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) {
      const file = path.join(dir, configFileName);
      return existsSync(file) ? file : undefined;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The plugins a config file names (`UsageError` naming the file when it is malformed). */
export function configuredPlugins(file: string): PluginRequest[] {
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const plugins = (config as { plugins?: unknown } | null)?.plugins;
  if (plugins === undefined) return [];
  if (!Array.isArray(plugins) || plugins.some((p) => typeof p !== 'string')) throw new UsageError(`${file}: "plugins" must be an array of package names or paths`);
  return (plugins as string[]).map((spec, index) => ({ spec, from: { config: file, index } }));
}

/**
 * Imports each plugin (importing registers its losses, criteria, aggregators…) and says on `report`
 * (stderr) which plugin was loaded, from which file, and who named it.
 */
export async function loadPlugins(requests: readonly PluginRequest[], report: (line: string) => void, cwd = process.cwd()): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const request of requests) {
    const file = resolvePlugin(request, cwd);
    try {
      await import(pathToFileURL(file).href);
    } catch (error) {
      throw new UsageError(`${label(request)}: failed to load ${file}: ${(error as Error).message.split('\n')[0]}`);
    }
    report(`shrinkray: loaded plugin ${request.spec} from ${file} (named by ${request.from === '--plugin' ? '--plugin' : request.from.config})\n`);
    loaded.push({ ...request, file });
  }
  return loaded;
}

/** `--plugin`/`--config` values in raw argv (before `--`), so plugins load before commander builds `--help`. */
export function pluginArgs(argv: readonly string[]): { plugins: string[]; config?: string } {
  const plugins: string[] = [];
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (name !== '--plugin' && name !== '--config') continue;
    const value = inline ?? argv[++i];
    if (value === undefined) continue;
    if (name === '--plugin') plugins.push(value);
    else config = value;
  }
  return config === undefined ? { plugins } : { plugins, config };
}
