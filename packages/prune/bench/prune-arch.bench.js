// `pnpm bench prune-arch`: structured pruning by dependency groups on real architectures (issue #13).
// torchvision resnet18(num_classes=10) and mobilenet_v2(num_classes=10), adapted to 1x28x28, trained
// on Fashion-MNIST with Debian's PyTorch (one-cycle schedule, close to convergence for their size) and
// exported to ONNX by fixtures/make_arch_fixtures.py (made on first run, cached under bench-results/),
// imported here, 50% of every dependency group's channels removed (l1 group importance, mean),
// fine-tuned with knowledge distillation from the dense model and a cosine learning rate (the dense
// model fine-tuned alike is the control); accuracy, MACs, parameters vs Torch-Pruning's (1-p)^2 rule
// of thumb, ONNX Runtime throughput at batch 1 and 64 vs dense, fine-tuning samples/s next to
// PyTorch's on the same architecture, and a per-kernel profile of the pruned ResNet's training step.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openData } from '@shrinkray/datasets';
import { hintonLoss } from '@shrinkray/distill/base';
import { OnnxModel } from '@shrinkray/onnx-io';
import { FusedAdamOptimizer, initBackend, Rng, saveTfjsModel, Tensor, TfjsModel, tf, train as trainModel } from '@shrinkray/tensor-core';
import { spawnJson } from '../../../tooling/bench/lib/spawn-json.js';
import { BATCH_NORM_INITS, calibrationBatches, cloneModel, countMacs, foldBatchNorm, insertBatchNorm, isBatchNormInit, loadModelForPruning, modelAccuracy, prune, toOnnxBytes } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.SHRINKRAY_PYTHON ?? '/usr/bin/python3';
const FASHION = '/usr/share/datasets/fashion-mnist';
const SEED = 7;
const TARGET = 0.5;
/** `PRUNE_ARCH_MODELS=resnet18` (comma-separated keys) runs a subset. */
const ONLY = process.env.PRUNE_ARCH_MODELS?.split(',');
/**
 * `PRUNE_ARCH_CONTROL_FROM=path/to/prune-arch.json` skips the dense control fine-tuning (about 15 minutes
 * per model) and takes its row from that earlier run's JSON (said so in the notes).
 */
const CONTROL_FROM = process.env.PRUNE_ARCH_CONTROL_FROM;
/**
 * `PRUNE_ARCH_PLAIN_FROM=path/to/prune-arch.json` also skips fine-tuning the plainly pruned model (no
 * recalibration) and takes its accuracy after fine-tuning from that earlier run (said so in the notes).
 */
const PLAIN_FROM = process.env.PRUNE_ARCH_PLAIN_FROM;
/** Training batches (of 64) that recalibration measures statistics on; `PRUNE_ARCH_RECAL_BATCHES`, default 16. */
const RECAL_BATCHES = Number(process.env.PRUNE_ARCH_RECAL_BATCHES ?? 16);
/**
 * `PRUNE_ARCH_STEPS=2` (comma-separated counts k): also prune iteratively in k steps keeping 50%^(1/k) of
 * every group's channels each, recalibrating and KD fine-tuning epochs/k epochs after each (the same
 * total fine-tuning budget); k must divide the fine-tuning epochs. Default none.
 */
const ITERATIVE = (process.env.PRUNE_ARCH_STEPS ?? '').split(',').filter(Boolean).map(Number);
const ALL_MODELS = [
  { key: 'resnet18', label: 'ResNet-18 (torchvision, 28x28)', speedTarget: 1.7 },
  { key: 'mobilenet_v2', label: 'MobileNetV2 (torchvision, 28x28)', speedTarget: 1.4 },
];
const MODELS = ALL_MODELS.filter((m) => !ONLY || ONLY.includes(m.key));
/**
 * PyTorch training of the dense fixtures: Adam under a one-cycle schedule peaking at 3e-3, batch 64,
 * on a seeded random subset of the training split (about 7 minutes per model on one free core).
 */
const FIXTURE = { full: { trainRows: 20000, epochs: 3, batch: 64, maxLr: 3e-3 }, quick: { trainRows: 2000, epochs: 1, batch: 64, maxLr: 3e-3 } };
/**
 * Fine-tuning, the same for the pruned model and the dense control: Hinton KD from the dense model,
 * Adam with a linear warm-up over the first `warmup` of the steps, then a cosine down to 0 (Adam's
 * first full-size steps knock a BN-folded network off its minimum).
 */
const FINETUNE = { full: { rows: 6000, epochs: 2 }, quick: { rows: 500, epochs: 1 }, batchSize: 64, learningRate: 1e-3, warmup: 0.1, temperature: 4, alpha: 0.5 };
/**
 * The fine-tuning budget: `PRUNE_ARCH_FINETUNE_ROWS` (the last rows of the training split) and
 * `PRUNE_ARCH_FINETUNE_EPOCHS` override {@link FINETUNE}'s full/quick rows and epochs (e.g. 20000 x 3,
 * the dense fixtures' own training budget). The defaults stay small so that a full run of both models
 * fits in about an hour on a shared machine.
 */
function finetuneBudget(quick) {
  const base = quick ? FINETUNE.quick : FINETUNE.full;
  const int = (name, fallback, max) => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`${name}: expected an integer in [1, ${max}], got ${raw}`);
    return v;
  };
  return { rows: int('PRUNE_ARCH_FINETUNE_ROWS', base.rows, 60000), epochs: int('PRUNE_ARCH_FINETUNE_EPOCHS', base.epochs, 100) };
}
/**
 * `PRUNE_ARCH_VARIANTS` (comma-separated, default all): which fine-tuned variants run. `plain` (pruned +
 * KD), `recal` (pruned + recalibrated + KD), `bn` (pruned + recalibrated + BatchNormalization re-inserted
 * for the KD fine-tuning, folded back after), `control` (the dense model fine-tuned alike; or
 * `PRUNE_ARCH_CONTROL_FROM`). A variant left out has no accuracy-after-fine-tuning row.
 */
const ALL_VARIANTS = ['plain', 'recal', 'bn', 'control'];
const VARIANTS = new Set(process.env.PRUNE_ARCH_VARIANTS ? process.env.PRUNE_ARCH_VARIANTS.split(',') : ALL_VARIANTS);
for (const v of VARIANTS) if (!ALL_VARIANTS.includes(v)) throw new Error(`PRUNE_ARCH_VARIANTS: unknown variant ${v} (known: ${ALL_VARIANTS.join(', ')})`);
/**
 * The BN variant's start and peak learning rate: `PRUNE_ARCH_BN_INIT` (`identity`, default, or `fresh`: γ = 1,
 * β = 0) and `PRUNE_ARCH_BN_LR` (default the other variants' {@link FINETUNE} rate). With BN in training mode a
 * higher rate is stable (measured: Adam 1e-2 fine-tunes the pruned MobileNetV2 best, and diverges without BN).
 */
const BN_INIT = process.env.PRUNE_ARCH_BN_INIT ?? BATCH_NORM_INITS[0];
if (!isBatchNormInit(BN_INIT)) throw new Error(`PRUNE_ARCH_BN_INIT: expected one of ${BATCH_NORM_INITS.join(', ')}, got ${BN_INIT}`);
const BN_LEARNING_RATE = Number(process.env.PRUNE_ARCH_BN_LR ?? FINETUNE.learningRate);
if (!(BN_LEARNING_RATE > 0 && BN_LEARNING_RATE < 1)) throw new Error(`PRUNE_ARCH_BN_LR: expected a rate in (0, 1), got ${process.env.PRUNE_ARCH_BN_LR}`);
/** `PRUNE_ARCH_PROFILE=off` skips the pruned ResNet's training profile. */
const PROFILE = process.env.PRUNE_ARCH_PROFILE !== 'off';

/** Runs the fixture script for each model whose ONNX file is missing or was trained with other settings. */
function fixtures(dir, settings, log) {
  const metaFile = path.join(dir, 'fixtures.json');
  const cached = () => (existsSync(metaFile) ? JSON.parse(readFileSync(metaFile, 'utf8')) : { models: {} });
  const same = (m) => m && m.trainRows === settings.trainRows && m.epochs === settings.epochs && m.batch === settings.batch && m.maxLr === settings.maxLr;
  for (const m of MODELS) {
    if (existsSync(path.join(dir, `${m.key}.onnx`)) && same(cached().models[m.key])) continue;
    log(`making the ${m.key} fixture with PyTorch (${settings.trainRows} training rows, ${settings.epochs} epochs, batch ${settings.batch}, one-cycle to ${settings.maxLr}) into ${dir}; this takes minutes`);
    const args = ['--models', m.key, '--train-rows', String(settings.trainRows), '--epochs', String(settings.epochs), '--train-batch', String(settings.batch), '--max-lr', String(settings.maxLr), '--seed', '1', '--threads', '1'];
    execFileSync(PYTHON, [path.join(here, 'fixtures', 'make_arch_fixtures.py'), dir, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return cached();
}

/** Logits of an ONNX model for every row of `data`, in chunks: the distillation targets. */
async function teacherLogits(bytes, data) {
  const ort = await OnnxModel.create(bytes, { name: 'teacher' });
  try {
    const out = Tensor.zeros('float32', [data.size, 10]);
    for (let start = 0; start < data.size; start += 500) {
      const indices = Int32Array.from({ length: Math.min(500, data.size - start) }, (_, i) => start + i);
      out.data.set((await ort.predict(await data.read(indices))).data, start * 10);
    }
    return out;
  } finally {
    await ort.dispose();
  }
}

/** Learning rate at `step` (1-based) of `total`: linear warm-up over the first `warmup` fraction, then a cosine to 0. */
function learningRateAt(step, total, learningRate = FINETUNE.learningRate) {
  const { warmup } = FINETUNE;
  const warm = Math.max(1, Math.round(warmup * total));
  if (step < warm) return (learningRate * step) / warm;
  return (learningRate / 2) * (1 + Math.cos((Math.PI * (step - warm)) / Math.max(1, total - warm)));
}

/**
 * Fine-tunes `model` in place on `data` with the tensor-core training loop: Hinton KD against
 * `teacher` logits (normalised, `(1-α)·CE + α·τ²·KL`) and Adam under {@link learningRateAt}.
 * Returns the training history.
 */
async function fineTune(model, data, teacher, epochs, log, label, learningRate = FINETUNE.learningRate) {
  const { batchSize, temperature, alpha } = FINETUNE;
  const total = epochs * Math.ceil(data.size / batchSize);
  const optimizer = new FusedAdamOptimizer(learningRateAt(1, total, learningRate));
  const run = await trainModel({
    model,
    data,
    epochs,
    batchSize,
    seed: SEED,
    optimizer,
    targets: { teacher },
    loss: ({ logits, labels, targets }) => hintonLoss(logits, targets.teacher, labels, temperature, alpha),
    onEvent: (e) => {
      if (e.type !== 'batch') return;
      const step = (e.epoch - 1) * e.batches + e.batch;
      optimizer.learningRate = learningRateAt(step + 1, total, learningRate);
      if (e.batch % 20 === 0) log(`  ${label}: epoch ${e.epoch}/${epochs} batch ${e.batch}/${e.batches} loss ${e.loss.toFixed(3)}`);
    },
  });
  optimizer.dispose();
  return run.history;
}

/**
 * Per-kernel profile of training steps of a saved tfjs model in the train benchmark's worker (its own
 * process, wasm backend, ORT kernels, glibc malloc thresholds raised like `train-profile`), random data.
 */
async function profileTraining(repoRoot, modelJson, batch, quick) {
  const worker = path.join(repoRoot, 'tooling', 'bench', 'lib', 'train-worker.js');
  const env = { ...process.env, SHRINKRAY_BACKEND: 'wasm', MALLOC_MMAP_THRESHOLD_: '4294967296', MALLOC_TRIM_THRESHOLD_: '4294967296' };
  delete env.SHRINKRAY_WASM_KERNELS;
  delete env.SHRINKRAY_ORT_KERNELS;
  const args = [worker, '--model=file', `--model-file=${modelJson}`, `--batch=${batch}`, '--warmup=2', `--steps=${quick ? 2 : 6}`, '--windows=1', '--profile'];
  return spawnJson(process.execPath, args, { cwd: repoRoot, env, timeoutMs: 30 * 60_000 });
}

/** Samples/s of `session.run` on a fixed random batch, best of interleaved rounds. */
async function throughput(models, quick) {
  const sessions = [];
  for (const [name, bytes] of Object.entries(models)) sessions.push({ name, model: await OnnxModel.create(bytes, { name, intraOpNumThreads: 1 }) });
  const best = {};
  const rounds = quick ? 2 : 5;
  for (let r = 0; r < rounds; r++) {
    for (const batch of [1, 64]) {
      for (const { name, model } of sessions) {
        const rng = new Rng(r);
        const x = Tensor.zeros('float32', [batch, ...model.inputShape.slice(1).map((d) => (typeof d === 'number' ? d : 1))]);
        for (let i = 0; i < x.size; i++) x.data[i] = rng.next();
        const feeds = { [model.inputName]: x.toOrt() };
        const iterations = batch === 1 ? (quick ? 30 : 150) : quick ? 2 : 6;
        await model.session.run(feeds);
        const start = process.hrtime.bigint();
        for (let i = 0; i < iterations; i++) await model.session.run(feeds);
        const sps = (iterations * batch) / (Number(process.hrtime.bigint() - start) / 1e9);
        best[name] ??= {};
        best[name][batch] = Math.max(best[name][batch] ?? 0, sps);
      }
    }
  }
  for (const s of sessions) await s.model.dispose();
  return best;
}

/** Largest |Δ| between two models' logits on `x` (tfjs LayersModels are run in inference mode). */
async function maxLogitDiff(a, b, x) {
  const run = (m) => (m instanceof OnnxModel ? m : new TfjsModel(m)).predict(x);
  const [ya, yb] = [await run(a), await run(b)];
  let max = 0;
  for (let i = 0; i < ya.data.length; i++) max = Math.max(max, Math.abs(ya.data[i] - yb.data[i]));
  return max;
}

/** Largest |ORT − tfjs| over the logits of a few test rows. */
async function ortVsTfjs(bytes, model, x) {
  const ort = await OnnxModel.create(bytes, { name: 'check' });
  try {
    return await maxLogitDiff(ort, model, x);
  } finally {
    await ort.dispose();
  }
}

/** A profile key (kernel name and input shapes) short enough for a note: the fused optimizer's list of every variable becomes a count. */
function shortKernel(key) {
  const inputs = key.split(' x ');
  return key.length <= 120 ? key : `${inputs[0].split(' ')[0]} (${inputs.length} inputs)`;
}

/** @type {import('../../../tooling/bench/registry.js').Benchmark} */
export default {
  name: 'prune-arch',
  description: 'structured pruning by dependency groups: torchvision ResNet-18 and MobileNetV2 on Fashion-MNIST, 50% per group + KD fine-tuning vs dense fine-tuned alike; accuracy, MACs, params vs (1-p)^2, ORT b1/b64 speed-up, fine-tuning vs PyTorch samples/s, pruned ResNet training profile',
  async run({ repoRoot, quick, log }) {
    const { backend } = await initBackend();
    const { rows: finetuneRows, epochs: finetuneEpochs } = finetuneBudget(quick);
    const testRows = quick ? 500 : 2000;
    const fixture = quick ? FIXTURE.quick : FIXTURE.full;
    const dir = path.join(repoRoot, 'bench-results', quick ? 'prune-arch-fixtures-quick' : 'prune-arch-fixtures');
    const meta = fixtures(dir, fixture, log);
    const { train: trainAll, test: testAll } = await openData(`fashion-mnist:${FASHION}`);
    // fine-tuning rows: the last rows of the training split (the fixtures trained on a seeded random subset of it, so some overlap)
    const train = trainAll.subset(Int32Array.from({ length: finetuneRows }, (_, i) => trainAll.size - finetuneRows + i));
    const test = testAll.subset(Int32Array.from({ length: testRows }, (_, i) => i));
    const data = { train, test };

    log('PyTorch training samples/s (dense and every channel count halved), batch 64');
    const torchSpeedFile = path.join(dir, `torch-train-speed-${Date.now()}.json`);
    execFileSync(PYTHON, [path.join(here, 'fixtures', 'make_arch_fixtures.py'), '--time-train', torchSpeedFile, '--models', MODELS.map((m) => m.key).join(','), '--steps', quick ? '2' : '5', '--batch', '64', '--threads', '1'], { stdio: ['ignore', 'inherit', 'inherit'] });
    const torchSpeed = JSON.parse(readFileSync(torchSpeedFile, 'utf8'));

    const rows = [];
    const groupNotes = [];
    const notes = [];
    const metaOut = { backend, loadAverage: {}, torch: meta, torchSpeed, groups: {}, finetune: { ...FINETUNE, rows: finetuneRows, epochs: finetuneEpochs }, profile: {} };
    for (const spec of MODELS) {
      const file = path.join(dir, `${spec.key}.onnx`);
      const dense = await loadModelForPruning(file);
      const denseAcc = await modelAccuracy(dense, data.test);
      const denseMacs = countMacs(dense).total;
      log(`${spec.label}: imported, tfjs accuracy ${denseAcc.toFixed(4)} on ${testRows} test rows (PyTorch, full test split: ${meta.models[spec.key].testAccuracy.toFixed(4)})`);
      const teacher = await teacherLogits(readFileSync(file), data.train);
      const start = performance.now();
      // the structure only (no fine-tuning inside prune): the pruned model and the control then get the same fine-tuning
      const { model: pruned, report } = await prune({ model: dense, data, sparsity: TARGET, structured: true, criterion: 'l1', seed: SEED, exportOnnx: false });
      const oneShotAcc = report.accuracy.after;
      let prunedRun;
      let prunedAcc;
      if (PLAIN_FROM) {
        const previous = JSON.parse(readFileSync(PLAIN_FROM, 'utf8'));
        const row = previous.rows.find((r) => r.model === spec.label && r.variant === `pruned ${TARGET * 100}% per group + ${finetuneEpochs} ep KD`);
        if (!row) throw new Error(`PRUNE_ARCH_PLAIN_FROM: ${PLAIN_FROM} has no plain pruned + fine-tuned row for ${spec.label}`);
        prunedAcc = row.accuracy;
        prunedRun = { samplesPerSecond: row.ftTrain };
        notes.push(`${spec.label}: the plainly pruned model (no recalibration) was not fine-tuned again: its accuracy after ${finetuneEpochs} ep KD and its fine-tuning samples/s are taken from ${PLAIN_FROM} (run of ${previous.date}, same fixtures, pruning, rows, epochs and schedule); everything else in its row was measured in this run.`);
      } else if (VARIANTS.has('plain')) {
        prunedRun = await fineTune(pruned, data.train, teacher, finetuneEpochs, log, 'pruned');
        prunedAcc = await modelAccuracy(pruned, data.test);
        log(`${spec.label}: pruned (accuracy ${oneShotAcc.toFixed(4)} before fine-tuning) + fine-tuned in ${((performance.now() - start) / 1000).toFixed(0)} s, accuracy ${prunedAcc.toFixed(4)}`);
      }
      // the same one-shot prune, then recalibration (folded adaptive BN) before the same fine-tuning
      const recalStart = performance.now();
      const recalibrate = { batches: RECAL_BATCHES, batchSize: FINETUNE.batchSize };
      const { model: recal, report: recalReport } = await prune({ model: dense, data, sparsity: TARGET, structured: true, criterion: 'l1', seed: SEED, exportOnnx: false, recalibrate });
      const recalSeconds = (performance.now() - recalStart) / 1000;
      const recalOneShot = recalReport.accuracy.after;
      log(`${spec.label}: pruned + recalibrated (${recalReport.recalibration.layers.length} layers, ${recalReport.recalibration.rows} rows, ${recalSeconds.toFixed(0)} s) accuracy ${recalOneShot.toFixed(4)} before fine-tuning`);
      // BN re-insertion starts from its own copy of the recalibrated model (the recal variant fine-tunes `recal` in place)
      const bnBase = VARIANTS.has('bn') ? await cloneModel(recal) : undefined;
      let recalRun;
      let recalAcc;
      if (VARIANTS.has('recal')) {
        recalRun = await fineTune(recal, data.train, teacher, finetuneEpochs, log, 'pruned+recal');
        recalAcc = await modelAccuracy(recal, data.test);
        log(`${spec.label}: pruned + recalibrated + fine-tuned, accuracy ${recalAcc.toFixed(4)}`);
      }
      let bn;
      if (bnBase) {
        const inputs = await calibrationBatches(data.train, { batches: RECAL_BATCHES, batchSize: FINETUNE.batchSize }, SEED);
        const insertion = await insertBatchNorm(bnBase, inputs, { init: BN_INIT });
        const x32 = await test.read(Int32Array.from({ length: 32 }, (_, i) => i));
        const insertDiff = await maxLogitDiff(bnBase, insertion.model, x32);
        tf.dispose(inputs);
        log(`${spec.label}: BatchNormalization inserted after ${insertion.inserted.length} convolutions (inference max |Δ| logits ${insertDiff.toExponential(1)}), fine-tuning with BN in training mode`);
        const run = await fineTune(insertion.model, data.train, teacher, finetuneEpochs, log, 'pruned+recal+BN', BN_LEARNING_RATE);
        const bnTrainedAcc = await modelAccuracy(insertion.model, data.test);
        const folded = await foldBatchNorm(insertion);
        const foldDiff = await maxLogitDiff(insertion.model, folded, x32);
        const accuracy = await modelAccuracy(folded, data.test);
        const foldedBytes = await toOnnxBytes(folded);
        const ortDiff = await ortVsTfjs(foldedBytes, folded, x32);
        const sameStructure = JSON.stringify(folded.layers.map((l) => [l.getClassName(), l.getWeights().map((w) => w.shape)])) === JSON.stringify(bnBase.layers.map((l) => [l.getClassName(), l.getWeights().map((w) => w.shape)]));
        bn = { run, accuracy, bnTrainedAcc, inserted: insertion.inserted.length, insertDiff, foldDiff, ortDiff, sameStructure, onnxBytes: foldedBytes.length };
        log(`${spec.label}: pruned + recalibrated + BN fine-tuned, folded back: accuracy ${accuracy.toFixed(4)} (BN model ${bnTrainedAcc.toFixed(4)}, fold max |Δ| ${foldDiff.toExponential(1)}, ORT vs tfjs ${ortDiff.toExponential(1)})`);
        insertion.model.dispose();
        folded.dispose();
        bnBase.dispose();
      }
      const iterative = [];
      for (const k of ITERATIVE) {
        if (!Number.isInteger(k) || k < 2 || finetuneEpochs % k !== 0) throw new Error(`PRUNE_ARCH_STEPS: ${k} must be an integer >= 2 dividing the ${finetuneEpochs} fine-tuning epochs`);
        let current = await cloneModel(dense);
        const stepAcc = [];
        let last;
        for (let step = 1; step <= k; step++) {
          const r = await prune({ model: current, data, sparsity: 1 - (1 - TARGET) ** (1 / k), structured: true, criterion: 'l1', seed: SEED + step, exportOnnx: false, recalibrate });
          current.dispose();
          current = r.model;
          last = r.report;
          await fineTune(current, data.train, teacher, finetuneEpochs / k, log, `${k} steps, step ${step}`);
          stepAcc.push({ recalibrated: r.report.accuracy.after, fineTuned: await modelAccuracy(current, data.test) });
          log(`${spec.label}: ${k} steps, step ${step}: recalibrated ${stepAcc.at(-1).recalibrated.toFixed(4)}, fine-tuned ${stepAcc.at(-1).fineTuned.toFixed(4)}`);
        }
        iterative.push({ k, stepAcc, macs: countMacs(current).total, params: last.params.storedAfter });
        current.dispose();
      }
      const groups = report.groups;
      metaOut.groups[spec.key] = { groups, unsupported: report.unsupported };
      const pruned_ = groups.filter((g) => g.status === 'pruned');
      const blocked = groups.filter((g) => g.status === 'blocked');
      const coupled = pruned_.filter((g) => g.producers.length > 1);
      groupNotes.push(
        `${spec.label}: ${groups.length} groups, ${pruned_.length} pruned (${coupled.length} residual groups joining ${coupled.map((g) => g.producers.length).join('+')} producers; channels ${pruned_.map((g) => `${g.channels.before}->${g.channels.after}`).join(', ')}), ${blocked.length} left unpruned (${blocked.map((g) => `${g.producers.join(',')}: ${g.blockers.map((b) => b.reason).join('; ')}`).join(' | ')}); unsupported layers: ${report.unsupported.length === 0 ? 'none' : report.unsupported.map((u) => `${u.layer} (${u.className})`).join(', ')}.`,
      );
      // control: the dense model fine-tuned alike (same rows, epochs, KD targets, schedule)
      let controlAcc;
      let controlRun;
      if (CONTROL_FROM) {
        const previous = JSON.parse(readFileSync(CONTROL_FROM, 'utf8'));
        const row = previous.rows.find((r) => r.model === spec.label && r.variant.includes('control'));
        if (!row) throw new Error(`PRUNE_ARCH_CONTROL_FROM: ${CONTROL_FROM} has no control row for ${spec.label}`);
        controlAcc = row.accuracy;
        controlRun = { samplesPerSecond: row.ftTrain };
        notes.push(`${spec.label}: the dense control row (dense fine-tuned alike) was not re-run: it is taken from ${CONTROL_FROM} (run of ${previous.date}, same fixtures, rows, epochs and schedule).`);
      } else if (VARIANTS.has('control')) {
        log(`${spec.label}: dense control, ${finetuneEpochs} epoch(s) on the same rows`);
        const control = await cloneModel(dense);
        controlRun = (await fineTune(control, data.train, teacher, finetuneEpochs, log, 'control'));
        controlAcc = await modelAccuracy(control, data.test);
        control.dispose();
      }
      teacher.dispose?.();
      if (controlAcc !== undefined) log(`${spec.label}: control accuracy ${controlAcc.toFixed(4)}`);
      const denseBytes = await toOnnxBytes(dense);
      const prunedBytes = await toOnnxBytes(pruned);
      const diff = await ortVsTfjs(prunedBytes, pruned, await test.read(Int32Array.from({ length: 32 }, (_, i) => i)));
      log(`${spec.label}: ORT throughput, dense vs pruned (batch 1 and 64)`);
      const speed = await throughput({ torch: readFileSync(file), dense: denseBytes, pruned: prunedBytes }, quick);
      metaOut.loadAverage[spec.key] = os.loadavg();
      let profile;
      if (spec.key === 'resnet18' && PROFILE) {
        const modelDir = path.join(dir, `${spec.key}-pruned-tfjs`);
        await saveTfjsModel(pruned, modelDir);
        log(`${spec.label}: profiling pruned training steps (train-worker --profile, batch ${FINETUNE.batchSize})`);
        try {
          profile = await profileTraining(repoRoot, path.join(modelDir, 'model.json'), FINETUNE.batchSize, quick);
          metaOut.profile[spec.key] = profile;
        } catch (error) {
          notes.push(`${spec.label}: training profile failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
        }
      }
      const paramsRatio = report.params.storedAfter / report.params.storedBefore;
      const ts = torchSpeed[spec.key];
      const b1 = speed.pruned[1] / speed.dense[1];
      const b64 = speed.pruned[64] / speed.dense[64];
      // the accuracy target is judged on the best fine-tuned variant that ran
      const tuned = [
        ['pruned + KD', prunedAcc],
        ['pruned + recalibrated + KD', recalAcc],
        ['pruned + recalibrated + BN re-inserted for KD, folded', bn?.accuracy],
      ].filter(([, a]) => a !== undefined);
      const best = tuned.reduce((b, t) => (b === undefined || t[1] > b[1] ? t : b), undefined);
      const delta = best === undefined ? Number.NaN : (best[1] - denseAcc) * 100;
      rows.push({
        model: spec.label,
        variant: 'dense (torch export, ORT)',
        macs: denseMacs / 1e6,
        params: report.params.storedBefore,
        ortB1: speed.torch[1],
        ortB64: speed.torch[64],
        torchTrain: ts.dense.samplesPerSecond,
      });
      rows.push({ model: spec.label, variant: 'dense (shrinkray import + export)', macs: denseMacs / 1e6, params: report.params.storedBefore, accuracy: denseAcc, ortB1: speed.dense[1], ortB64: speed.dense[64] });
      if (controlAcc !== undefined) rows.push({ model: spec.label, variant: `dense + same fine-tuning (${finetuneEpochs} ep KD, control)`, macs: denseMacs / 1e6, params: report.params.storedBefore, accuracy: controlAcc, delta: (controlAcc - denseAcc) * 100, ftTrain: controlRun.samplesPerSecond });
      rows.push({ model: spec.label, variant: `pruned ${TARGET * 100}% per group, before fine-tuning`, macs: report.macs.after / 1e6, params: report.params.storedAfter, accuracy: oneShotAcc, delta: (oneShotAcc - denseAcc) * 100 });
      rows.push({
        model: spec.label,
        variant: prunedAcc === undefined ? `pruned ${TARGET * 100}% per group (not fine-tuned in this run)` : `pruned ${TARGET * 100}% per group + ${finetuneEpochs} ep KD`,
        macs: report.macs.after / 1e6,
        macsX: report.macs.before / report.macs.after,
        params: report.params.storedAfter,
        paramsRatio,
        rule: (1 - TARGET) ** 2,
        accuracy: prunedAcc,
        delta: prunedAcc === undefined ? undefined : (prunedAcc - denseAcc) * 100,
        ortB1: speed.pruned[1],
        ortB64: speed.pruned[64],
        speedup: `${b1.toFixed(2)}x / ${b64.toFixed(2)}x`,
        ftTrain: prunedRun?.samplesPerSecond,
        torchTrain: ts.halved.samplesPerSecond,
        ortDiff: diff.toExponential(1),
      });
      rows.push({ model: spec.label, variant: `pruned ${TARGET * 100}% + recalibrated (${RECAL_BATCHES}x${FINETUNE.batchSize} rows), before fine-tuning`, macs: recalReport.macs.after / 1e6, params: recalReport.params.storedAfter, accuracy: recalOneShot, delta: (recalOneShot - denseAcc) * 100 });
      if (recalAcc !== undefined) rows.push({ model: spec.label, variant: `pruned ${TARGET * 100}% + recalibrated + ${finetuneEpochs} ep KD`, macs: recalReport.macs.after / 1e6, macsX: recalReport.macs.before / recalReport.macs.after, params: recalReport.params.storedAfter, accuracy: recalAcc, delta: (recalAcc - denseAcc) * 100, ftTrain: recalRun.samplesPerSecond });
      if (bn) {
        rows.push({ model: spec.label, variant: `pruned ${TARGET * 100}% + recalibrated + BN re-inserted, ${finetuneEpochs} ep KD (BN model, training-mode BN)`, accuracy: bn.bnTrainedAcc, delta: (bn.bnTrainedAcc - denseAcc) * 100, ftTrain: bn.run.samplesPerSecond });
        rows.push({ model: spec.label, variant: `pruned ${TARGET * 100}% + recalibrated + BN re-inserted + ${finetuneEpochs} ep KD, BN folded back`, macs: recalReport.macs.after / 1e6, macsX: recalReport.macs.before / recalReport.macs.after, params: recalReport.params.storedAfter, accuracy: bn.accuracy, delta: (bn.accuracy - denseAcc) * 100, ortDiff: bn.ortDiff.toExponential(1) });
        notes.push(`BatchNormalization re-insertion ${spec.label} (insertBatchNorm + foldBatchNorm, the CLI's --reinsert-bn): ${bn.inserted} BN layers inserted after the recalibrated model's convolutions, ${BN_INIT === 'fresh' ? `initialised fresh (γ = 1, β = 0; moving statistics measured on ${RECAL_BATCHES}x${FINETUNE.batchSize} training rows; max |Δ| logits at insertion ${bn.insertDiff.toExponential(1)} on 32 test rows)` : `initialised from ${RECAL_BATCHES}x${FINETUNE.batchSize} training rows so inference is unchanged (max |Δ| logits ${bn.insertDiff.toExponential(1)} on 32 test rows)`}; fine-tuned with BN in training mode by the same KD loop${BN_LEARNING_RATE !== FINETUNE.learningRate ? ` at a peak learning rate of ${BN_LEARNING_RATE}` : ''}; folded back into the convolutions (max |Δ| logits vs the BN model ${bn.foldDiff.toExponential(1)}; same layers and weight shapes as before insertion: ${bn.sameStructure ? 'yes' : 'NO'}; ONNX ${bn.onnxBytes} bytes, ORT vs tfjs max |Δ| ${bn.ortDiff.toExponential(1)}). Accuracy ${bn.accuracy.toFixed(4)} (${((bn.accuracy - denseAcc) * 100).toFixed(2)} pts vs dense) -> within 1 point of dense: ${bn.accuracy - denseAcc >= -0.01 ? 'met' : 'NOT met'}.`);
      }
      for (const it of iterative) {
        it.stepAcc.forEach((a, i) => {
          const last = i === it.stepAcc.length - 1;
          rows.push({
            model: spec.label,
            variant: `${it.k} steps of ${((1 - (1 - TARGET) ** (1 / it.k)) * 100).toFixed(1)}% + recalibration + ${finetuneEpochs / it.k} ep KD each: after step ${i + 1}`,
            ...(last ? { macs: it.macs / 1e6, macsX: denseMacs / it.macs, params: it.params } : {}),
            accuracy: a.fineTuned,
            delta: (a.fineTuned - denseAcc) * 100,
            beforeFt: `${a.recalibrated.toFixed(4)} (${((a.recalibrated - denseAcc) * 100).toFixed(2)} pts)`,
          });
        });
      }
      notes.push(`Recalibration ${spec.label} (prune({ recalibrate: { batches: ${RECAL_BATCHES}, batchSize: ${FINETUNE.batchSize} } })): ${recalReport.recalibration.layers.length} touched Conv2D/DepthwiseConv2D/Dense layers rescaled/shifted so their pre-activation per-channel mean/std on ${recalReport.recalibration.rows} training rows match the dense model's, in ${recalSeconds.toFixed(0)} s (prune included); accuracy ${recalOneShot.toFixed(4)} before fine-tuning (plain prune ${oneShotAcc.toFixed(4)}), ${recalAcc === undefined ? 'not fine-tuned in this run.' : `${recalAcc.toFixed(4)} after the same ${finetuneEpochs} ep KD (${((recalAcc - denseAcc) * 100).toFixed(2)} pts vs dense${controlAcc === undefined ? '' : `, ${((recalAcc - controlAcc) * 100).toFixed(2)} pts vs the control`}) -> within 1 point of dense: ${recalAcc - denseAcc >= -0.01 ? 'met' : 'NOT met'}.`}${iterative.map((it) => ` ${it.k} steps: final ${it.stepAcc.at(-1).fineTuned.toFixed(4)} (${((it.stepAcc.at(-1).fineTuned - denseAcc) * 100).toFixed(2)} pts), MACs ${(denseMacs / it.macs).toFixed(2)}x fewer.`).join('')}`);
      recal.dispose();
      if (profile) {
        const stepMs = profile.msPerStep[0];
        const kernelMs = profile.kernels.reduce((sum, k) => sum + k.msPerStep, 0);
        rows.push({ model: spec.label, variant: `pruned, train-worker profile (batch ${FINETUNE.batchSize}, random data, malloc thresholds raised)`, ftTrain: (FINETUNE.batchSize * 1000) / stepMs, torchTrain: ts.halved.samplesPerSecond });
        notes.push(
          `Training profile of the pruned ${spec.label} (tooling/bench/lib/train-worker.js --profile, ${profile.backend} backend, ORT kernels ${profile.ortKernels.length > 0 ? 'on' : 'off'}, batch ${FINETUNE.batchSize}, Adam): ${stepMs.toFixed(1)} ms/step, kernels ${kernelMs.toFixed(1)} ms (${((kernelMs / stepMs) * 100).toFixed(0)}%), the rest tfjs engine/tape/optimizer JS. Top kernels: ${profile.kernels
            .slice(0, 8)
            .map((k) => `${shortKernel(k.kernel)} ${k.msPerStep.toFixed(1)} ms (${((k.msPerStep / stepMs) * 100).toFixed(0)}%, ${k.callsPerStep} calls)`)
            .join('; ')}.`,
        );
      }
      const macsOk = spec.key !== 'resnet18' || report.macs.before / report.macs.after >= 2;
      const met = delta >= -1 && macsOk && b1 >= spec.speedTarget && b64 >= spec.speedTarget;
      const load = metaOut.loadAverage[spec.key];
      const ftSps = prunedRun?.samplesPerSecond ?? recalRun?.samplesPerSecond;
      notes.push(
        `Target ${spec.label}: accuracy within 1 point of dense (best fine-tuned variant${best ? `, ${best[0]}` : ''}: ${delta.toFixed(2)} pts)${spec.key === 'resnet18' ? `, MACs >= 2x fewer (${(report.macs.before / report.macs.after).toFixed(2)}x)` : ''}, ORT >= ${spec.speedTarget}x at batch 1 and 64 (${b1.toFixed(2)}x / ${b64.toFixed(2)}x) -> ${met ? 'met' : 'NOT met'}${controlAcc === undefined || best === undefined ? '' : `; against the control (dense fine-tuned alike) it is ${((best[1] - controlAcc) * 100).toFixed(2)} pts`}. Parameters kept ${(paramsRatio * 100).toFixed(1)}% vs (1-p)^2 = ${((1 - TARGET) ** 2 * 100).toFixed(1)}%. ${ftSps === undefined ? '' : `Fine-tuning ${ftSps.toFixed(1)} samples/s (tfjs ${backend}) vs PyTorch ${ts.halved.samplesPerSecond.toFixed(1)} samples/s on the same pruned architecture (${(ts.halved.samplesPerSecond / ftSps).toFixed(1)}x). `} Load average (1/5/15 min) at its ORT timing: ${load.map((l) => l.toFixed(2)).join(' / ')}.`,
      );
      dense.dispose();
      pruned.dispose();
    }
    notes.unshift(
      `Fixtures: torchvision ${meta.torchvision} models, PyTorch ${meta.torch}, trained with Adam under a one-cycle schedule (peak ${fixture.maxLr}) on a seeded random subset of the Fashion-MNIST training split (${MODELS.map((m) => `${m.key}: ${meta.models[m.key].trainRows} rows, ${meta.models[m.key].epochs} epochs, batch ${meta.models[m.key].batch}, PyTorch test accuracy ${meta.models[m.key].testAccuracy.toFixed(4)} on the full test split`).join('; ')}), exported with torch.onnx.export (opset 13, BN folded). Fine-tuning, identical for the pruned model and the dense control: the last ${finetuneRows} rows of the training split (about ${Math.round((fixture.trainRows / 60000) * 100)}% of them are also in the fixtures' random subset), ${finetuneEpochs} epoch(s), batch ${FINETUNE.batchSize}, Adam with the learning rate warming up linearly to ${FINETUNE.learningRate} over the first ${FINETUNE.warmup * 100}% of the steps, then a cosine to 0, loss (1-α)·CE + α·τ²·KL against the dense model's logits (α ${FINETUNE.alpha}, τ ${FINETUNE.temperature}; ORT on the torch export), tfjs backend ${backend}. Accuracy on the first ${testRows} test rows.`,
      ...groupNotes,
      'Pruning: one-shot, l1 group importance (each member scored per channel, divided by its mean over the group, averaged over members), 50% of every group that can be pruned; the classifier output group is left alone (it is the model output). The pruned model is then fine-tuned by the same function as the control (tensor-core train with a KD loss), not by prune()\'s own fine-tuning, which has no KD loss.',
      `ORT: onnxruntime-node, session.run on a fixed random batch, 1 intra-op thread, graph optimisation all; best of ${quick ? 2 : 5} interleaved rounds (torch export, our dense export and the pruned model alternate). Speed-up = pruned / our dense export, batch 1 / batch 64. The machine is shared with other jobs (load averages in the JSON meta), so absolute numbers are noisy; ratios were measured side by side.`,
      `PyTorch training samples/s: ${torchSpeed.torch}, ${torchSpeed.threads} thread, batch ${torchSpeed.batch}, Adam, random data, on the dense architecture and on the same architecture with every internal channel count halved (what 50% per group leaves, stem and classifier input included).`,
    );
    return {
      title: 'Structured pruning by dependency groups: ResNet-18 and MobileNetV2 (Fashion-MNIST)',
      columns: [
        { key: 'model', label: 'model' },
        { key: 'variant', label: 'variant' },
        { key: 'macs', label: 'MMACs', digits: 2 },
        { key: 'macsX', label: 'MACs fewer', digits: 2 },
        { key: 'params', label: 'params' },
        { key: 'paramsRatio', label: 'params kept', digits: 3 },
        { key: 'rule', label: '(1-p)^2', digits: 3 },
        { key: 'accuracy', label: 'test acc', digits: 4 },
        { key: 'delta', label: 'Δ pts', digits: 2 },
        { key: 'beforeFt', label: 'step: acc before its fine-tuning (Δ pts)' },
        { key: 'ortB1', label: 'ORT b1 samples/s', digits: 0 },
        { key: 'ortB64', label: 'ORT b64 samples/s', digits: 0 },
        { key: 'speedup', label: 'speed-up b1 / b64' },
        { key: 'ftTrain', label: 'fine-tune samples/s (tfjs)', digits: 1 },
        { key: 'torchTrain', label: 'PyTorch train samples/s', digits: 1 },
        { key: 'ortDiff', label: 'pruned: ORT vs tfjs max |Δ| logits' },
      ],
      rows,
      notes,
      meta: metaOut,
    };
  },
};
