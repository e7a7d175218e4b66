// `pnpm bench prune-throughput`: pruning's fine-tuning throughput with the ORT training
// kernels (issue 16) on and off, same settings, side by side in one run (alternating child processes).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { envInt } from '../../../tooling/bench/lib/env.js';
import { ON_OFF_COLUMNS, onOffRows, ortOnOff } from '../../../tooling/bench/lib/ort-ab.js';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'throughput-worker.js');

/** @type {import('../../../tooling/bench/registry.js').Benchmark} */
export default {
  name: 'prune-throughput',
  description: 'pruning fine-tuning samples/s (train bench CNN unstructured, ResNet-style structured; wasm backend): ORT kernels off (before) vs on (after), side by side',
  async run({ repoRoot, quick, log }) {
    const rounds = quick ? 1 : envInt('SHRINKRAY_BENCH_THROUGHPUT_ROUNDS', 2);
    const args = [`--rows=${quick ? 2048 : envInt('SHRINKRAY_BENCH_THROUGHPUT_ROWS', 6144)}`, `--resnet-rows=${quick ? 512 : envInt('SHRINKRAY_BENCH_THROUGHPUT_RESNET_ROWS', 1024)}`];
    const result = await ortOnOff({ worker, args, repoRoot, rounds, log });
    return {
      title: 'Pruning fine-tuning throughput, ORT kernels off vs on (wasm backend)',
      columns: ON_OFF_COLUMNS,
      rows: onOffRows(result),
      notes: [
        `Each configuration in its own process, ${rounds} alternating round(s), median; SHRINKRAY_ORT_KERNELS=off is the wasm kernel fixes alone (before issue 16). Load average ${result.load.map((l) => l.toFixed(1)).join(' → ')} on ${(await import('node:os')).cpus().length} cores.`,
        `ORT kernels in use: ${result.on[0]?.ortKernels.join(', ') || `none (${result.on[0]?.ortReason})`}.`,
      ],
      meta: { load: result.load },
    };
  },
};
