// `pnpm bench prune-throughput`: pruning's fine-tuning throughput with the ORT training kernels
// (issue 16) on and off, same settings, side by side in one run (alternating child processes).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { envInt } from '../../../tooling/bench/lib/env.js';
import { ortOnOffBenchmark } from '../../../tooling/bench/lib/ort-ab.js';

export default ortOnOffBenchmark({
  name: 'prune-throughput',
  description: 'pruning fine-tuning samples/s (train bench CNN unstructured, ResNet-style structured; wasm backend): ORT kernels off (before) vs on (after), side by side',
  title: 'Pruning fine-tuning throughput, ORT kernels off vs on (wasm backend)',
  worker: path.join(path.dirname(fileURLToPath(import.meta.url)), 'throughput-worker.js'),
  args: (quick) => [
    `--rows=${quick ? 2048 : envInt('SHRINKRAY_BENCH_THROUGHPUT_ROWS', 6144)}`,
    `--resnet-rows=${quick ? 512 : envInt('SHRINKRAY_BENCH_THROUGHPUT_RESNET_ROWS', 1024)}`,
  ],
});
