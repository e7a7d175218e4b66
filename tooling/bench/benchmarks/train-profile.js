// `pnpm bench train-profile`: where a training step's time goes, kernel by kernel (wasm backend), for
// shrinkray's kernels and the stock ones - the profile that chose which kernels to fix.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnJson } from '../lib/spawn-json.js';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), '../lib/train-worker.js');
const TOP = 8;

/** @type {import('../registry.js').Benchmark} */
export default {
  name: 'train-profile',
  description: 'per-kernel time of one training step (MLP, CNN; batch 128, Adam) with shrinkray and stock wasm kernels',
  async run({ repoRoot, quick, log }) {
    const rows = [];
    const notes = [];
    for (const model of ['mlp', 'cnn']) {
      for (const runtime of ['shrinkray', 'stock']) {
        const slow = runtime === 'stock' && model === 'cnn';
        const [warmup, steps] = slow ? [1, 1] : quick ? [2, 3] : [3, 10];
        log(`${model} / ${runtime}: profiling ${steps} steps`);
        const env = { ...process.env, SHRINKRAY_BACKEND: 'wasm' };
        if (runtime === 'stock') env.SHRINKRAY_WASM_KERNELS = 'off';
        else delete env.SHRINKRAY_WASM_KERNELS;
        try {
          const out = await spawnJson(
            process.execPath,
            [worker, `--model=${model}`, `--warmup=${warmup}`, `--steps=${steps}`, '--windows=1', '--profile'],
            { cwd: repoRoot, env, timeoutMs: 30 * 60_000 },
          );
          const stepMs = out.msPerStep[0];
          const total = out.kernels.reduce((sum, k) => sum + k.msPerStep, 0);
          rows.push({ model, runtime, kernel: '(whole step)', callsPerStep: undefined, msPerStep: stepMs, share: 1 });
          rows.push({ model, runtime, kernel: '(all kernels)', callsPerStep: out.kernels.reduce((n, k) => n + k.callsPerStep, 0), msPerStep: total, share: total / stepMs });
          for (const k of out.kernels.slice(0, TOP)) rows.push({ model, runtime, ...k, share: k.msPerStep / stepMs });
          if (out.fallbacks?.length) notes.push(`${model} / ${runtime}: ${out.fallbacks.join(', ')} (stock tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter).`);
        } catch (error) {
          notes.push(`${model} / ${runtime} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
        }
      }
    }
    notes.push(`Top ${TOP} kernels (by name and input shapes; tA/tB = transposed operand) per configuration; kernel time is wall time inside the outermost kernel call, the rest of a step is tfjs engine/tape/optimizer JS.`);
    return {
      title: 'Training step profile per kernel (wasm backend)',
      columns: [
        { key: 'model', label: 'model' },
        { key: 'runtime', label: 'kernels' },
        { key: 'kernel', label: 'kernel / inputs' },
        { key: 'callsPerStep', label: 'calls/step', digits: 0 },
        { key: 'msPerStep', label: 'ms/step', digits: 2 },
        { key: 'share', label: 'share of step', digits: 2 },
      ],
      rows,
      notes,
    };
  },
};
