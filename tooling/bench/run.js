#!/usr/bin/env node
// `pnpm bench [name…] [--quick] [--list] [--out DIR]`: runs the named benchmarks (all when none are
// named), writes bench-results/<name>.json and bench-results/<name>.md, and prints the tables.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { discoverBenchmarks, getBenchmark, listBenchmarks, toMarkdown, writeFileAtomic } from './registry.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    list: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(repoRoot, 'bench-results') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const { failed: failedModules } = await discoverBenchmarks(repoRoot);
for (const f of failedModules) process.stderr.write(`[bench] skipped ${f.file}: ${f.reason}\n`);
if (values.help || values.list) {
  if (values.help) process.stdout.write('usage: pnpm bench [name…] [--quick] [--list] [--out DIR]\n\n');
  for (const b of listBenchmarks()) process.stdout.write(`${b.name.padEnd(12)} ${b.description}\n`);
  process.exit(0);
}

let selected;
try {
  selected = positionals.length > 0 ? positionals.map(getBenchmark) : listBenchmarks();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
await mkdir(values.out, { recursive: true });
const log = (/** @type {string} */ message) => process.stderr.write(`[bench] ${message}\n`);
let failed = false;
for (const benchmark of selected) {
  log(`${benchmark.name}: ${benchmark.description}`);
  try {
    const result = await benchmark.run({ repoRoot, quick: values.quick, log });
    const json = { name: benchmark.name, date: new Date().toISOString(), command: `pnpm bench ${process.argv.slice(2).join(' ')}`.trim(), ...result };
    const markdown = toMarkdown(result);
    await writeFileAtomic(path.join(values.out, `${benchmark.name}.json`), `${JSON.stringify(json, null, 2)}\n`);
    await writeFileAtomic(path.join(values.out, `${benchmark.name}.md`), markdown);
    process.stdout.write(`${markdown}\n`);
    log(`wrote ${path.relative(process.cwd(), path.join(values.out, `${benchmark.name}.{json,md}`))}`);
  } catch (error) {
    failed = true;
    log(`${benchmark.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}
process.exit(failed ? 1 : 0);
