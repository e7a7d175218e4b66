// `pnpm bench train`: training throughput side by side in one run - shrinkray (wasm backend with the
// heavy kernels in ONNX Runtime), today's wasm kernel fixes alone (SHRINKRAY_ORT_KERNELS=off), stock
// tfjs-backend-wasm (SHRINKRAY_WASM_KERNELS=off) and PyTorch (Debian python3-torch + OpenBLAS) - for an
// MLP 784-512-512-10, a small CNN and a ResNet-style CNN, batch 128, Adam(1e-3), softmax cross-entropy.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forwardFlopsPerSample } from '../lib/models.js';
import { spawnJson } from '../lib/spawn-json.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const worker = path.join(here, '../lib/train-worker.js');
const torchScript = path.join(here, '../lib/train_torch.py');
const PYTHON = '/usr/bin/python3';
const BATCH = 128;

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line ? line.split(':')[1].trim() : os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

/** Steps per configuration: [warm-up, timed steps per window, windows]. */
function plan(runtime, model, quick) {
  if (runtime === 'stock' && model === 'cnn') return [1, 1, 1]; // ~1 min per step (pure-JS filter gradient)
  if (runtime === 'stock') return quick ? [1, 3, 1] : [2, 6, 5];
  if (model === 'resnet') return quick ? [1, 2, 1] : runtime === 'wasm' ? [1, 2, 3] : [2, 3, 4];
  if (quick) return [2, 5, 1];
  return model === 'cnn' ? [3, 8, 5] : [5, 15, 5];
}

/** Runtimes timed per model: the stock wasm kernels on the ResNet would take many minutes per step. */
function runtimesFor(model) {
  return model === 'resnet' ? ['shrinkray', 'wasm', 'pytorch'] : ['shrinkray', 'wasm', 'stock', 'pytorch'];
}

const RUNTIME_LABEL = {
  shrinkray: 'shrinkray (wasm + ORT kernels)',
  wasm: 'wasm kernel fixes only (ORT off)',
  stock: 'stock tfjs-wasm',
};

// glibc's default malloc returns large buffers to the OS after use and page-faults them back in: PyTorch
// ran 3-4x slower with it, and ORT kernel outputs (fresh buffers each call) pay the same. Every runtime
// gets the same setting.
const MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '4294967296', MALLOC_TRIM_THRESHOLD_: '4294967296' };

/** @type {import('../registry.js').Benchmark} */
export default {
  name: 'train',
  description: 'training samples/s: shrinkray (wasm + ORT kernels) vs wasm kernel fixes vs stock tfjs-wasm vs PyTorch (MLP, small CNN, ResNet-style; batch 128, Adam)',
  async run({ repoRoot, quick, log }) {
    const notes = [];
    const rows = [];
    const loadBefore = os.loadavg();
    const torchAvailable = existsSync(PYTHON);
    /** @type {Record<string, number[]>} */
    const pairedRatios = {};
    for (const model of /** @type {const} */ (['mlp', 'cnn', 'resnet'])) {
      const flopsPerSample = 3 * forwardFlopsPerSample(model);
      /** @type {Record<string, number>} */
      const throughput = {};
      for (const runtime of runtimesFor(model)) {
        const [warmup, steps, windows] = plan(runtime, model, quick);
        log(`${model} / ${runtime}: ${warmup} warm-up + ${windows}x${steps} timed steps`);
        const common = [`--model=${model}`, `--batch=${BATCH}`, `--warmup=${warmup}`, `--steps=${steps}`, `--windows=${windows}`];
        let out;
        try {
          if (runtime === 'pytorch') {
            if (!torchAvailable) {
              notes.push(`PyTorch skipped: ${PYTHON} not found (install Debian python3-torch and libopenblas0-pthread).`);
              continue;
            }
            out = await spawnJson(PYTHON, [torchScript, ...common.map((a) => a.slice(2))], {
              // glibc's default malloc returns PyTorch's large buffers to the OS after every step and
              // page-faults them back in: 3-4x slower here. The fastest setting is the baseline.
              env: { ...process.env, OPENBLAS_NUM_THREADS: '2', OMP_NUM_THREADS: '1', ...MALLOC_ENV },
              timeoutMs: 20 * 60_000,
            });
            if (out.skipped) {
              notes.push(`PyTorch skipped: ${out.skipped} (install Debian python3-torch and libopenblas0-pthread).`);
              continue;
            }
          } else {
            const env = { ...process.env, SHRINKRAY_BACKEND: 'wasm', ...MALLOC_ENV };
            delete env.SHRINKRAY_WASM_KERNELS;
            delete env.SHRINKRAY_ORT_KERNELS;
            if (runtime === 'stock') env.SHRINKRAY_WASM_KERNELS = 'off';
            if (runtime === 'wasm') env.SHRINKRAY_ORT_KERNELS = 'off';
            out = await spawnJson(process.execPath, [worker, ...common], { cwd: repoRoot, env, timeoutMs: 30 * 60_000 });
          }
        } catch (error) {
          notes.push(`${model} / ${runtime} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
          continue;
        }
        const ms = median(out.msPerStep);
        const samplesPerSecond = (BATCH * 1000) / ms;
        throughput[runtime] = samplesPerSecond;
        rows.push({
          model,
          runtime: RUNTIME_LABEL[runtime] ?? `PyTorch ${out.torch}`,
          msPerStep: ms,
          samplesPerSecond,
          bestSamplesPerSecond: (BATCH * 1000) / Math.min(...out.msPerStep),
          gflops: (flopsPerSample * samplesPerSecond) / 1e9,
          timedSteps: out.msPerStep.length * steps,
          msPerStepWindows: out.msPerStep,
          ...(out.cpuMsPerStep ? { cpuMsPerStepWindows: out.cpuMsPerStep } : {}),
          ...(out.fallbacks?.length ? { fallbacks: out.fallbacks } : {}),
          ...(out.leakedTensorsPerStep !== undefined ? { leakedTensorsPerStep: out.leakedTensorsPerStep } : {}),
          ...(out.threads !== undefined ? { threads: out.threads } : {}),
          ...(out.kernelUsagePerStep ? { kernelUsagePerStep: out.kernelUsagePerStep, ortSessions: out.ortSessions } : {}),
        });
        if (runtime === 'shrinkray') {
          if (out.ort) {
            const usage = Object.entries(out.kernelUsagePerStep ?? {}).map(([k, u]) => `${k} ${u.ort}/${u.ort + u.wasm}`);
            notes.push(`${model} / shrinkray: ONNX Runtime ${out.ort.version}, ${out.ort.threads} threads; calls per step in ORT / all: ${usage.join(', ')}; ${out.ortSessions?.live ?? 0} kernel sessions.`);
          } else notes.push(`${model} / shrinkray: no ORT kernels (${out.ortReason ?? 'unknown reason'}).`);
        }
        if (out.leakedTensorsPerStep) notes.push(`${model} / ${runtime}: ${out.leakedTensorsPerStep} tensors leaked per step.`);
        if (out.fallbacks?.length) notes.push(`${model} / ${runtime}: stock tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter (Conv2D training throws); the stock run uses ${out.fallbacks.join(', ')}.`);
      }
      // Paired measurements: windows alternate between kernel sets in one process (kernels swapped in place).
      for (const against of model === 'mlp' ? ['wasm', 'stock'] : ['wasm']) {
        const [warmup, steps, windows] = model === 'resnet' ? (quick ? [1, 1, 1] : [1, 2, 3]) : model === 'cnn' ? (quick ? [1, 2, 1] : [2, 4, 4]) : quick ? [2, 5, 2] : [5, 10, 5];
        const otherSteps = against === 'stock' ? (quick ? 2 : 4) : steps;
        log(`${model}: paired shrinkray / ${against} windows in one process (${windows} pairs)`);
        try {
          const env = { ...process.env, SHRINKRAY_BACKEND: 'wasm', ...MALLOC_ENV };
          delete env.SHRINKRAY_WASM_KERNELS;
          delete env.SHRINKRAY_ORT_KERNELS;
          const pair = await spawnJson(
            process.execPath,
            [worker, `--model=${model}`, `--batch=${BATCH}`, `--warmup=${warmup}`, `--steps=${steps}`, `--windows=${windows}`, '--pair', `--pair-with=${against}`, `--stock-steps=${otherSteps}`],
            { cwd: repoRoot, env, timeoutMs: 30 * 60_000 },
          );
          pairedRatios[`${model} vs ${against}`] = pair.ratios;
          notes.push(
            `${model}: shrinkray / ${RUNTIME_LABEL[against]}, alternating windows in one process: median speed-up ${median(pair.ratios).toFixed(2)}x (per pair: ${pair.ratios.map((r) => r.toFixed(2)).join(', ')}).`,
          );
        } catch (error) {
          notes.push(`${model}: paired run vs ${against} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
        }
      }
      for (const row of rows.filter((r) => r.model === model)) {
        row.vsStock = throughput.stock ? row.samplesPerSecond / throughput.stock : undefined;
        row.vsWasm = throughput.wasm ? row.samplesPerSecond / throughput.wasm : undefined;
        row.vsPyTorch = throughput.pytorch ? row.samplesPerSecond / throughput.pytorch : undefined;
      }
    }
    const loadAfter = os.loadavg();
    notes.push(
      `Batch ${BATCH}, Adam(1e-3), softmax cross-entropy, 16 distinct random batches cycled; median over timing windows after warm-up (ratios use the median; the best window is the least disturbed by other load). GFLOP/s counts training as 3x the forward multiply-adds (x2 FLOPs each).`,
      `tfjs: tfjs-layers model + optimizer.minimize, @tensorflow/tfjs-backend-wasm 4.22 (SIMD, 1 thread) with shrinkray's kernels, the heavy ones in onnxruntime-node (threads = cores), Node ${process.version}. PyTorch: torch.set_num_threads(1), OPENBLAS_NUM_THREADS=2. Every runtime: MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_=4 GiB (glibc malloc otherwise unmaps and re-faults large buffers: PyTorch 3-4x slower, ORT kernel outputs likewise).`,
      `Machine: ${cpuModel()}, ${os.cpus().length} cores; load average ${loadBefore[0].toFixed(1)} before, ${loadAfter[0].toFixed(1)} after (shared machine: numbers are noisy).`,
    );
    return {
      title: 'Training throughput (batch 128, Adam): shrinkray with ORT kernels vs wasm kernels vs PyTorch',
      columns: [
        { key: 'model', label: 'model' },
        { key: 'runtime', label: 'runtime' },
        { key: 'msPerStep', label: 'ms/step', digits: 1 },
        { key: 'samplesPerSecond', label: 'samples/s', digits: 0 },
        { key: 'bestSamplesPerSecond', label: 'best window samples/s', digits: 0 },
        { key: 'gflops', label: 'GFLOP/s', digits: 2 },
        { key: 'vsWasm', label: 'x wasm fixes', digits: 2 },
        { key: 'vsStock', label: 'x stock tfjs-wasm', digits: 2 },
        { key: 'vsPyTorch', label: 'x PyTorch', digits: 3 },
      ],
      rows,
      notes,
      meta: { pairedRatios, batch: BATCH, loadBefore, loadAfter, cpu: cpuModel(), cores: os.cpus().length, node: process.version, quick },
    };
  },
};
