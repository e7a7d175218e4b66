// `pnpm bench train-profile`: where a training step's time goes, kernel by kernel (wasm backend), with
// the heavy kernels in ONNX Runtime (after), with today's wasm kernel fixes only (before) and, for the
// MLP, the stock kernels - the profile that chose which kernels to move or fix.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnJson } from '../lib/spawn-json.js';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), '../lib/train-worker.js');
const TOP = 8;

/**
 * Sums a profile's name+shapes entries per kernel name, largest first.
 * @param {{ kernel: string, callsPerStep: number, msPerStep: number }[]} kernels
 */
function byName(kernels) {
  /** @type {Map<string, { callsPerStep: number, msPerStep: number }>} */
  const sums = new Map();
  for (const k of kernels) {
    const name = k.kernel.split(' ')[0];
    const s = sums.get(name) ?? { callsPerStep: 0, msPerStep: 0 };
    s.callsPerStep += k.callsPerStep;
    s.msPerStep += k.msPerStep;
    sums.set(name, s);
  }
  return [...sums].map(([name, s]) => ({ kernel: `Σ ${name}`, ...s })).sort((a, b) => b.msPerStep - a.msPerStep);
}

/** @type {import('../registry.js').Benchmark} */
export default {
  name: 'train-profile',
  description: 'per-kernel time of one training step (MLP, CNN, ResNet-style; batch 128, Adam): ORT kernels, wasm kernel fixes, stock',
  async run({ repoRoot, quick, log }) {
    const rows = [];
    const notes = [];
    /** @type {Record<string, unknown[]>} every kernel by name and input shapes, per configuration (JSON only) */
    const allKernels = {};
    for (const model of ['mlp', 'cnn', 'resnet']) {
      for (const runtime of model === 'mlp' ? ['shrinkray', 'wasm', 'stock'] : ['shrinkray', 'wasm']) {
        const [warmup, steps] = model === 'resnet' ? [1, quick ? 1 : 2] : quick ? [2, 3] : [3, 10];
        log(`${model} / ${runtime}: profiling ${steps} steps`);
        // Same malloc setting as the train benchmark (fresh ORT output buffers are not unmapped each call).
        const env = { ...process.env, SHRINKRAY_BACKEND: 'wasm', MALLOC_MMAP_THRESHOLD_: '4294967296', MALLOC_TRIM_THRESHOLD_: '4294967296' };
        delete env.SHRINKRAY_WASM_KERNELS;
        delete env.SHRINKRAY_ORT_KERNELS;
        if (runtime === 'stock') env.SHRINKRAY_WASM_KERNELS = 'off';
        if (runtime === 'wasm') env.SHRINKRAY_ORT_KERNELS = 'off';
        try {
          const out = await spawnJson(
            process.execPath,
            [worker, `--model=${model}`, `--warmup=${warmup}`, `--steps=${steps}`, '--windows=1', '--profile'],
            { cwd: repoRoot, env, timeoutMs: 30 * 60_000 },
          );
          const stepMs = out.msPerStep[0];
          const total = out.kernels.reduce((sum, k) => sum + k.msPerStep, 0);
          const label = runtime === 'shrinkray' ? 'ORT kernels (after)' : runtime === 'wasm' ? 'wasm fixes only (before)' : 'stock';
          rows.push({ model, runtime: label, view: 'step', kernel: '(whole step)', callsPerStep: undefined, msPerStep: stepMs, share: 1 });
          rows.push({ model, runtime: label, view: 'step', kernel: '(all kernels)', callsPerStep: out.kernels.reduce((n, k) => n + k.callsPerStep, 0), msPerStep: total, share: total / stepMs });
          // Every kernel by name (all shapes together): the long tail of small element-wise calls is invisible in the top list.
          for (const k of byName(out.kernels)) rows.push({ model, runtime: label, view: 'by name', ...k, share: k.msPerStep / stepMs });
          for (const k of out.kernels.slice(0, TOP)) rows.push({ model, runtime: label, view: `top ${TOP}`, ...k, share: k.msPerStep / stepMs });
          allKernels[`${model} / ${runtime}`] = out.kernels;
          if (out.fallbacks?.length) notes.push(`${model} / ${runtime}: ${out.fallbacks.join(', ')} (stock tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter).`);
        } catch (error) {
          notes.push(`${model} / ${runtime} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
        }
      }
    }
    notes.push(`Per configuration: every kernel by name (all input shapes summed), then the top ${TOP} by name and input shapes (tA/tB = transposed operand); the JSON's meta.kernels has every name+shapes entry. Kernel time is wall time inside the outermost kernel call, the rest of a step is tfjs engine/tape/optimizer JS.`);
    return {
      title: 'Training step profile per kernel (wasm backend)',
      columns: [
        { key: 'model', label: 'model' },
        { key: 'runtime', label: 'kernels' },
        { key: 'view', label: 'view' },
        { key: 'kernel', label: 'kernel / inputs' },
        { key: 'callsPerStep', label: 'calls/step', digits: 0 },
        { key: 'msPerStep', label: 'ms/step', digits: 2 },
        { key: 'share', label: 'share of step', digits: 2 },
      ],
      rows,
      notes,
      meta: { kernels: allKernels },
    };
  },
};
