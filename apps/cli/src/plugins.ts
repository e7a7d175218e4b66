import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from './io.js';

/** The default config file read from the working directory when present: `{ "plugins": ["pkg", "./file.js"] }`. */
export const configFileName = 'shrinkray.config.json';

interface PackageJson {
  exports?: string | Record<string, unknown>;
  module?: string;
  main?: string;
}

/** The ESM entry of a package directory: `exports["."]` (import/default), else module/main, else index.js. */
function packageEntry(dir: string): string {
  const json = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  let entry: unknown = json.exports;
  if (entry && typeof entry === 'object' && '.' in entry) entry = (entry as Record<string, unknown>)['.'];
  while (entry && typeof entry === 'object') {
    const conditions = entry as Record<string, unknown>;
    entry = conditions['import'] ?? conditions['node'] ?? conditions['default'];
  }
  return path.join(dir, typeof entry === 'string' ? entry : (json.module ?? json.main ?? 'index.js'));
}

/**
 * Resolves a `--plugin` value: a path (`./x.js`, `/abs/x.mjs`, or a directory holding a package), or a
 * package name looked up in `node_modules` from the working directory upwards, as Node would.
 */
export function resolvePlugin(spec: string, cwd = process.cwd()): string {
  if (spec.startsWith('.') || path.isAbsolute(spec)) {
    const target = path.resolve(cwd, spec);
    if (existsSync(path.join(target, 'package.json'))) return packageEntry(target);
    if (existsSync(target)) return target;
    throw new UsageError(`--plugin ${spec}: no such file`);
  }
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', spec);
    if (existsSync(path.join(candidate, 'package.json'))) return packageEntry(candidate);
    if (path.dirname(dir) === dir) break;
  }
  throw new UsageError(`--plugin ${spec}: package not found in node_modules from ${cwd}`);
}

/** Plugins named in `shrinkray.config.json` of the working directory (none when there is no such file). */
export function configuredPlugins(cwd = process.cwd()): string[] {
  const file = path.join(cwd, configFileName);
  if (!existsSync(file)) return [];
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const plugins = (config as { plugins?: unknown }).plugins;
  if (plugins === undefined) return [];
  if (!Array.isArray(plugins) || plugins.some((p) => typeof p !== 'string')) throw new UsageError(`${file}: "plugins" must be an array of package names or paths`);
  return plugins as string[];
}

/** Imports each plugin; importing registers its losses, criteria or aggregators. */
export async function loadPlugins(specs: readonly string[], cwd = process.cwd()): Promise<void> {
  for (const spec of specs) {
    const file = resolvePlugin(spec, cwd);
    try {
      await import(pathToFileURL(file).href);
    } catch (error) {
      throw new UsageError(`--plugin ${spec}: failed to load ${file}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
}
