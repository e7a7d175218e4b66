// Runs one benchmark worker with the ORT kernels on and off (SHRINKRAY_ORT_KERNELS=off: the wasm kernel
// fixes alone, as before issue 16), each in its own process, alternating on/off for several rounds so
// that both configurations see the same machine load. Shared by the distill and prune throughput benches.
import os from 'node:os';
import { envInt } from './env.js';
import { spawnJson } from './spawn-json.js';

/**
 * @param {{ worker: string, args?: string[], repoRoot: string, rounds: number, log: (m: string) => void, timeoutMs?: number }} options
 * @returns {Promise<{ on: any[], off: any[], load: number[] }>} each worker's JSON per configuration, and the load averages before and after
 */
export async function ortOnOff({ worker, args = [], repoRoot, rounds, log, timeoutMs = 30 * 60_000 }) {
  const loadBefore = os.loadavg()[0];
  /** @type {{ on: any[], off: any[] }} */
  const out = { on: [], off: [] };
  for (let round = 0; round < rounds; round++) {
    for (const config of round % 2 === 0 ? ['on', 'off'] : ['off', 'on']) {
      // Same malloc setting as the train benchmark (ORT kernel outputs are not unmapped after every call).
      const env = { ...process.env, SHRINKRAY_BACKEND: 'wasm', MALLOC_MMAP_THRESHOLD_: '4294967296', MALLOC_TRIM_THRESHOLD_: '4294967296' };
      delete env.SHRINKRAY_WASM_KERNELS;
      delete env.SHRINKRAY_ORT_KERNELS;
      if (config === 'off') env.SHRINKRAY_ORT_KERNELS = 'off';
      log(`round ${round + 1}/${rounds}: ORT kernels ${config}`);
      out[config].push(await spawnJson(process.execPath, [worker, ...args], { cwd: repoRoot, env, timeoutMs }));
    }
  }
  return { ...out, load: [loadBefore, os.loadavg()[0]] };
}

/** Median of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Table rows from {@link ortOnOff}'s results, whose workers print `{ runs: [{ name, samplesPerSecond }] }`:
 * per run, the median samples/s with the ORT kernels off (before) and on (after) and their ratio.
 */
export function onOffRows({ on, off }) {
  const names = on[0]?.runs.map((r) => r.name) ?? [];
  return names.map((name) => {
    const sps = (results) => median(results.map((r) => r.runs.find((x) => x.name === name).samplesPerSecond));
    const before = sps(off);
    const after = sps(on);
    const runs = on[0].runs.find((x) => x.name === name);
    return { run: name, settings: runs.settings, before, after, speedup: after / before };
  });
}

/** The columns of {@link onOffRows}. */
export const ON_OFF_COLUMNS = [
  { key: 'run', label: 'training run' },
  { key: 'settings', label: 'settings' },
  { key: 'before', label: 'samples/s, ORT kernels off (before)', digits: 0 },
  { key: 'after', label: 'samples/s, ORT kernels on (after)', digits: 0 },
  { key: 'speedup', label: 'after / before', digits: 2 },
];

/**
 * A benchmark whose worker prints `{ runs: [{ name, settings, samplesPerSecond }], ortKernels, ortReason }`,
 * run with the ORT kernels off and on ({@link ortOnOff}); `args(quick)` gives the worker's arguments.
 * @param {{ name: string, description: string, title: string, worker: string, args: (quick: boolean) => string[] }} spec
 * @returns {import('../registry.js').Benchmark}
 */
export function ortOnOffBenchmark({ name, description, title, worker, args }) {
  return {
    name,
    description,
    async run({ repoRoot, quick, log }) {
      const rounds = quick ? 1 : envInt('SHRINKRAY_BENCH_THROUGHPUT_ROUNDS', 2);
      const result = await ortOnOff({ worker, args: args(quick), repoRoot, rounds, log });
      return {
        title,
        columns: ON_OFF_COLUMNS,
        rows: onOffRows(result),
        notes: [
          `Each configuration in its own process, ${rounds} alternating round(s), median; SHRINKRAY_ORT_KERNELS=off is the wasm kernel fixes alone (no ORT, no fused optimizer update). Load average ${result.load.map((l) => l.toFixed(1)).join(' → ')} on ${os.cpus().length} cores.`,
          `ORT kernels in use: ${result.on[0]?.ortKernels.join(', ') || `none (${result.on[0]?.ortReason})`}.`,
        ],
        meta: { load: result.load },
      };
    },
  };
}
