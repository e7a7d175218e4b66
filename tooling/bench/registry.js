// Benchmark registry for `pnpm bench`. A benchmark is a plain object { name, description, run(ctx) }
// whose run() resolves to a BenchResult (rows for a table plus notes). Built-ins live in ./benchmarks;
// packages add theirs without touching this harness by shipping `bench/*.bench.js` modules whose
// default export is a benchmark (or an array of them) - run.js discovers and registers them.
import { readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * @typedef {{ key: string, label: string, digits?: number }} Column
 * @typedef {{ title: string, columns: Column[], rows: Record<string, unknown>[], notes: string[], meta?: Record<string, unknown> }} BenchResult
 * @typedef {{ repoRoot: string, quick: boolean, log: (message: string) => void }} BenchContext
 * @typedef {{ name: string, description: string, run: (ctx: BenchContext) => Promise<BenchResult> }} Benchmark
 */

/** @type {Map<string, Benchmark>} */
const registry = new Map();

/**
 * Registers a benchmark. Registering the same object twice is a no-op; another one under a taken name throws.
 * @param {Benchmark} benchmark
 */
export function registerBenchmark(benchmark) {
  if (!benchmark || typeof benchmark.name !== 'string' || typeof benchmark.run !== 'function') {
    throw new TypeError('a benchmark is { name: string, description: string, run(ctx): Promise<BenchResult> }');
  }
  const existing = registry.get(benchmark.name);
  if (existing && existing !== benchmark) throw new Error(`benchmark '${benchmark.name}' is already registered`);
  registry.set(benchmark.name, benchmark);
}

/** @param {string} name */
export function getBenchmark(name) {
  const found = registry.get(name);
  if (!found) {
    const failed = failedModules.length ? `; modules that failed to load: ${failedModules.map((f) => `${f.file} (${f.reason})`).join(', ')}` : '';
    throw new Error(`unknown benchmark '${name}'; registered: ${[...registry.keys()].sort().join(', ') || '(none)'}${failed}`);
  }
  return found;
}

/** @returns {Benchmark[]} */
export function listBenchmarks() {
  return [...registry.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Imports a module and registers its default export (a benchmark or an array of them). @param {string} file */
async function registerModule(file) {
  const mod = await import(pathToFileURL(file).href);
  const exported = mod.default;
  for (const b of Array.isArray(exported) ? exported : [exported]) registerBenchmark(b);
}

/** @param {string} dir */
async function filesIn(dir) {
  try {
    return (await readdir(dir)).map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/**
 * Registers the built-ins (tooling/bench/benchmarks/*.js) and every `packages/* /bench/*.bench.js` and
 * `apps/* /bench/*.bench.js` module of the workspace. Modules that fail to import are skipped and
 * returned (and named when a requested benchmark is missing).
 * @param {string} repoRoot
 * @returns {Promise<{ failed: { file: string, reason: string }[] }>}
 */
export async function discoverBenchmarks(repoRoot) {
  const builtins = (await filesIn(path.join(repoRoot, 'tooling/bench/benchmarks'))).filter((f) => f.endsWith('.js'));
  const contributed = [];
  for (const group of ['packages', 'apps']) {
    for (const pkg of await filesIn(path.join(repoRoot, group))) {
      contributed.push(...(await filesIn(path.join(pkg, 'bench'))).filter((f) => f.endsWith('.bench.js')));
    }
  }
  for (const file of [...builtins.sort(), ...contributed.sort()]) {
    try {
      await registerModule(file);
    } catch (error) {
      // One package's broken or unbuilt bench module must not stop the others from running.
      failedModules.push({ file: path.relative(repoRoot, file), reason: error instanceof Error ? error.message.split('\n')[0] : String(error) });
    }
  }
  return { failed: [...failedModules] };
}

/** @type {{ file: string, reason: string }[]} */
const failedModules = [];

/** @param {unknown} value @param {number | undefined} digits */
function cell(value, digits) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    return digits === undefined ? String(value) : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  return String(value).replaceAll('|', '\\|');
}

/** Markdown table of a result, with its notes as a list below. @param {BenchResult} result */
export function toMarkdown(result) {
  const lines = [`## ${result.title}`, ''];
  lines.push(`| ${result.columns.map((c) => c.label).join(' | ')} |`);
  lines.push(`| ${result.columns.map((c) => (c.digits === undefined ? '---' : '---:')).join(' | ')} |`);
  for (const row of result.rows) lines.push(`| ${result.columns.map((c) => cell(row[c.key], c.digits)).join(' | ')} |`);
  if (result.notes.length > 0) {
    lines.push('');
    for (const note of result.notes) lines.push(`- ${note}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes a file atomically (temp file in the same directory, then rename). @param {string} file @param {string} text */
export async function writeFileAtomic(file, text) {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, file);
}
