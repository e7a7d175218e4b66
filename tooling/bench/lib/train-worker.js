// One tfjs training run of the `train` benchmark, in its own process so that the kernel set-up
// (SHRINKRAY_WASM_KERNELS) and the JIT state of one run cannot affect another. Prints one JSON object.
import { parseArgs } from 'node:util';
import {
  applyWasmTrainingKernels,
  FusedAdamOptimizer,
  initBackend,
  kernelUsage,
  loadTfjsModel,
  ORT_KERNELS_ENV,
  ortSessionStats,
  removeWasmTrainingKernels,
  resetKernelUsage,
  Rng,
  tf,
  tfl,
  wasmTrainingKernels,
} from '@shrinkray/tensor-core';
import { registerCpuFallback } from './cpu-fallback.js';
import { buildModel, sampleShape } from './models.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'mlp' },
    batch: { type: 'string', default: '128' },
    warmup: { type: 'string', default: '5' },
    steps: { type: 'string', default: '20' },
    windows: { type: 'string', default: '3' },
    pool: { type: 'string', default: '16' },
    profile: { type: 'boolean', default: false },
    // Alternate windows with shrinkray's kernels and the stock ones in this one process (same model,
    // same moment's machine load): a paired ratio that other load on the machine disturbs less.
    pair: { type: 'boolean', default: false },
    // What the paired windows compare against: the stock kernels, or today's wasm kernel fixes (ORT off).
    'pair-with': { type: 'string', default: 'stock' },
    'stock-steps': { type: 'string', default: '4' },
    // A saved tfjs model (model.json) trained instead of a built-in one, e.g. the pruned ResNet-18 of
    // `prune-arch`; its input shape comes from the model.
    'model-file': { type: 'string' },
  },
});
const name = /** @type {'mlp' | 'cnn' | 'resnet'} */ (values.model);
const batch = Number(values.batch);

const info = await initBackend({ force: 'wasm' });
// Stock tfjs-backend-wasm has no Conv2DBackpropFilter: Conv2D training throws unless the kernel comes
// from somewhere. The stock run borrows tfjs-backend-cpu's (pure JS), as a user of stock tfjs would.
const fallbacks = [];
if (name !== 'mlp' && tf.getKernel('Conv2DBackpropFilter', 'wasm') === undefined) {
  registerCpuFallback('Conv2DBackpropFilter');
  fallbacks.push('Conv2DBackpropFilter from tfjs-backend-cpu');
}

const fileModel = values['model-file'] ? await loadTfjsModel(values['model-file']) : undefined;
const rng = new Rng(1234);
const shape = fileModel ? fileModel.inputs[0].shape.slice(1) : sampleShape(name);
const perSample = shape.reduce((a, b) => a * b, 1);
// Several distinct batches with random labels, cycled (one repeated batch is memorised; its vanishing
// gradients fill Adam's state with denormals, which slows every runtime down).
const data = Array.from({ length: Number(values.pool) }, () => {
  const x = new Float32Array(batch * perSample);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const labels = Array.from({ length: batch }, () => rng.int(10));
  return { x: tf.tensor(x, [batch, ...shape]), y: tf.oneHot(tf.tensor1d(labels, 'int32'), 10) };
});

const model = fileModel ?? buildModel(tfl, name);
// tfjs' Adam; with shrinkray's ORT kernel set it updates every variable in one fused kernel call.
const optimizer = new FusedAdamOptimizer(1e-3);
const vars = model.trainableWeights.map((w) => w.read());
let counter = 0;
function step() {
  const { x, y } = data[counter++ % data.length];
  const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })), true, vars);
  const value = loss.dataSync()[0];
  loss.dispose();
  return value;
}

for (let i = 0; i < Number(values.warmup); i++) step();
if (values.pair) {
  await pairedRun();
  process.exit(0);
}
const profile = values.profile ? profileKernels() : undefined;
const tensorsBefore = tf.memory().numTensors;
resetKernelUsage();
const msPerStep = [];
// Process CPU time (all threads, ORT's included) per step: less disturbed than wall time by other load.
const cpuMsPerStep = [];
let lastLoss = Number.NaN;
for (let w = 0; w < Number(values.windows); w++) {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < Number(values.steps); i++) lastLoss = step();
  const cpu = process.cpuUsage(cpuStart);
  msPerStep.push((performance.now() - start) / Number(values.steps));
  cpuMsPerStep.push((cpu.user + cpu.system) / 1000 / Number(values.steps));
}
process.stdout.write(
  JSON.stringify({
    backend: info.backend,
    kernelSet: process.env.SHRINKRAY_WASM_KERNELS === 'off' ? 'stock' : 'shrinkray',
    fallbacks,
    msPerStep,
    cpuMsPerStep,
    lastLoss,
    leakedTensorsPerStep: (tf.memory().numTensors - tensorsBefore) / (Number(values.windows) * Number(values.steps)),
    ortKernels: info.ortKernels ?? [],
    ...(info.ort ? { ort: info.ort } : {}),
    ...(info.ortReason ? { ortReason: info.ortReason } : {}),
    kernelUsagePerStep: perStep(kernelUsage(), Number(values.windows) * Number(values.steps)),
    ortSessions: ortSessionStats(),
    ...(profile ? { kernels: profile.report(Number(values.windows) * Number(values.steps)) } : {}),
  }) + '\n',
);

/**
 * Wraps every registered wasm kernel with a timer (outermost kernel calls only, so kernels that call
 * other kernels are not counted twice) and aggregates by kernel name and input shapes.
 */
function profileKernels() {
  /** @type {Map<string, { calls: number, ms: number }>} */
  const stats = new Map();
  let depth = 0;
  for (const config of tf.getKernelsForBackend('wasm')) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        if (depth > 0) return inner(args);
        depth++;
        const start = performance.now();
        try {
          return inner(args);
        } finally {
          depth--;
          const ms = performance.now() - start;
          const shapes = Object.values(args.inputs)
            .map((t) => (t ? JSON.stringify(t.shape) : '-'))
            .join(' x ');
          const flags = `${args.attrs?.transposeA ? ' tA' : ''}${args.attrs?.transposeB ? ' tB' : ''}`;
          const key = `${config.kernelName} ${shapes}${flags}`;
          const entry = stats.get(key) ?? { calls: 0, ms: 0 };
          entry.calls++;
          entry.ms += ms;
          stats.set(key, entry);
        }
      },
    });
  }
  return {
    /** @param {number} steps */
    report(steps) {
      return [...stats]
        .map(([kernel, s]) => ({ kernel, callsPerStep: s.calls / steps, msPerStep: s.ms / steps }))
        .sort((a, b) => b.msPerStep - a.msPerStep);
    },
  };
}

/** ORT / wasm calls per step of each kernel. */
function perStep(usage, steps) {
  return Object.fromEntries(Object.entries(usage).map(([k, u]) => [k, { ort: u.ort / steps, wasm: u.wasm / steps }]));
}

/**
 * Alternating timing windows in one process (see --pair): shrinkray's kernels against the stock ones
 * (`--pair-with=stock`) or against today's wasm kernel fixes without ONNX Runtime (`--pair-with=wasm`).
 */
async function pairedRun() {
  if (wasmTrainingKernels().length === 0) throw new Error('--pair needs the kernel fixes applied (unset SHRINKRAY_WASM_KERNELS)');
  const time = (n) => {
    const start = performance.now();
    for (let i = 0; i < n; i++) step();
    return (performance.now() - start) / n;
  };
  const other = () => {
    removeWasmTrainingKernels();
    if (values['pair-with'] === 'wasm') {
      process.env[ORT_KERNELS_ENV] = 'off';
      applyWasmTrainingKernels();
      delete process.env[ORT_KERNELS_ENV];
    }
  };
  const back = () => {
    removeWasmTrainingKernels();
    applyWasmTrainingKernels();
  };
  other();
  step(); // warm the other kernels' code paths
  back();
  const shrinkray = [];
  const stock = [];
  for (let w = 0; w < Number(values.windows); w++) {
    shrinkray.push(time(Number(values.steps)));
    other();
    stock.push(time(Number(values['stock-steps'])));
    back();
  }
  process.stdout.write(`${JSON.stringify({ shrinkray, other: stock, ratios: shrinkray.map((ms, i) => stock[i] / ms) })}\n`);
}
