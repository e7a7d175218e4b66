// `pnpm bench distill` and `pnpm bench distill-transfer`: knowledge distillation on real data
// (Fashion-MNIST from Debian's dataset-fashion-mnist; the embedded MNIST when that is absent).
//
// - distill: students trained alone vs distilled from a CNN teacher, same epochs, optimizer (Adam
//   1e-3) and batch (128), over several seeds: mean ± std test accuracy, the share of the
//   teacher-student gap distillation closes, seeds where KD beats alone, training samples/s + backend.
// - distill-transfer: few labels, many unlabelled inputs: the student alone on 5,000 labelled rows vs
//   distilled with those rows plus the other training images as an unlabelled transfer set.
//
// The teacher (conv 32-64 + dense 128 with dropout, as in the issue) is trained once in PyTorch
// (Debian python3-torch) and exported to ONNX; its logits are computed once through ONNX Runtime and
// reused by every run. Without PyTorch a tfjs MLP teacher (mlp:1200,1200) is trained instead. The
// teacher is cached in bench-results/distill/ (delete it to retrain).
//
// Knobs (environment): SHRINKRAY_BENCH_DISTILL_EPOCHS (student epochs, default 10; or per run
// `mlp800:3,cnn:1,mlp64:3,transfer:3`),
// SHRINKRAY_BENCH_DISTILL_SEEDS (default 3), SHRINKRAY_BENCH_DISTILL_STUDENTS (comma list of
// mlp800,cnn,mlp64; default all), SHRINKRAY_BENCH_DISTILL_CONFIGS (`all`, `main` = τ=4 α=0.7 only,
// or per student `mlp800:main,cnn:main,mlp64:all`),
// SHRINKRAY_BENCH_DISTILL_TEACHER_EPOCHS (default 9: the issue's teacher reached 0.912 in 6 epochs; this
// script with seed 1 gives 0.9036 at 6, 0.9145 at 9 and 0.9194 at 12), SHRINKRAY_BENCH_DISTILL_TRANSFER_STUDENT
// (default mlp:800,800), SHRINKRAY_BENCH_DISTILL_LABELLED (default 5000), SHRINKRAY_BENCH_DISTILL_TEACHER
// (an .onnx teacher to use instead of the built-in one). `--quick`: 1 epoch, 1 seed, MLP 64 only.
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { DEFAULT_FASHION_MNIST_DIR, openData } from '@shrinkray/datasets';
import { OnnxModel } from '@shrinkray/onnx-io';
import { accuracy, initBackend, Rng, UNLABELLED } from '@shrinkray/tensor-core';
import { buildStudent, distill, predictLogits, saveStudent, trainAlone } from '../dist/index.js';
import { envInt } from '../../../tooling/bench/lib/env.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const BATCH = 128;
const OPTIMIZER = { name: 'adam', learningRate: 1e-3 };

// `reference`: issue #5's PyTorch measurements on Fashion-MNIST (same students, 10 epochs, Adam 1e-3,
// batch 128, mean of 2–3 seeds), with a CNN teacher of 0.912.
const REFERENCE_TEACHER = 0.912;
const STUDENTS = {
  mlp800: { spec: 'mlp:800,800', label: 'MLP 784-800-800-10 (Hinton setting)', reference: 0.885, configs: [{ temperature: 4, alpha: 0.7, reference: 0.898 }, { temperature: 20, alpha: 0.9, reference: 0.892 }] },
  cnn: { spec: 'cnn:8,16/32', label: 'small CNN 8-16 conv + 32 dense', reference: 0.886, configs: [{ temperature: 4, alpha: 0.7, reference: 0.888 }, { temperature: 20, alpha: 0.9, reference: 0.885 }] },
  mlp64: { spec: 'mlp:64', label: 'MLP 784-64-10 (capacity-starved)', reference: 0.869, configs: [{ temperature: 4, alpha: 0.7, reference: 0.863 }, { temperature: 2, alpha: 0.5, reference: 0.87 }] },
};

/**
 * Student epochs: a number for every run, or per run `mlp800:3,cnn:1,mlp64:5,transfer:3` (missing
 * entries take `default:N`, else 10).
 */
function epochsFor(quick) {
  const text = process.env.SHRINKRAY_BENCH_DISTILL_EPOCHS;
  if (quick) return () => 1;
  if (text === undefined || text === '') return () => 10;
  if (/^\d+$/.test(text)) {
    const n = envInt('SHRINKRAY_BENCH_DISTILL_EPOCHS', 10);
    return () => n;
  }
  const map = new Map();
  for (const part of text.split(',')) {
    const [key, value] = part.split(':').map((v) => v.trim());
    const n = Number(value);
    if (!key || !Number.isInteger(n) || n < 1) throw new Error(`SHRINKRAY_BENCH_DISTILL_EPOCHS=${text}: expected N or key:N,key:N (keys ${[...Object.keys(STUDENTS), 'transfer', 'default'].join(', ')})`);
    map.set(key, n);
  }
  return (key) => map.get(key) ?? map.get('default') ?? 10;
}

function settings(quick) {
  return {
    epochs: epochsFor(quick),
    seeds: quick ? 1 : envInt('SHRINKRAY_BENCH_DISTILL_SEEDS', 3),
    teacherEpochs: envInt('SHRINKRAY_BENCH_DISTILL_TEACHER_EPOCHS', 9),
    students: (process.env.SHRINKRAY_BENCH_DISTILL_STUDENTS ?? (quick ? 'mlp64' : 'mlp800,cnn,mlp64')).split(',').map((s) => s.trim()),
    configs: process.env.SHRINKRAY_BENCH_DISTILL_CONFIGS ?? (quick ? 'main' : 'all'),
    transferStudent: process.env.SHRINKRAY_BENCH_DISTILL_TRANSFER_STUDENT ?? (quick ? 'mlp:64' : 'mlp:800,800'),
    labelled: envInt('SHRINKRAY_BENCH_DISTILL_LABELLED', 5000),
  };
}

/** The KD configurations of a student: `all`, `main` (τ=4 α=0.7 only), or per student `mlp800:main,mlp64:all`. */
function configsFor(cfg, key, student) {
  const text = cfg.configs;
  let mode = text;
  if (text.includes(':')) {
    const map = new Map(text.split(',').map((p) => p.split(':').map((v) => v.trim())));
    mode = map.get(key) ?? map.get('default') ?? 'all';
  }
  if (mode !== 'all' && mode !== 'main') throw new Error(`SHRINKRAY_BENCH_DISTILL_CONFIGS=${text}: expected all, main, or key:all|main,…`);
  return mode === 'main' ? student.configs.slice(0, 1) : student.configs;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation (n − 1); 0 for one value. */
const std = (xs) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pm = (xs) => `${mean(xs).toFixed(4)} ± ${std(xs).toFixed(4)}`;
/** `(kd − alone) / (teacher − alone)`, as a percentage; meaningless (n/a) when the student alone matches or beats the teacher. */
const gapText = (gap, teacher, alone) => (teacher > alone ? `${(gap * 100).toFixed(0)}%` : 'n/a (alone ≥ teacher)');

function run(command, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`${command} exited ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`))));
  });
}

async function torchAvailable() {
  if (!existsSync(PYTHON)) return false;
  try {
    await run(PYTHON, ['-c', 'import torch, onnx, json; print(json.dumps(1))']);
    return true;
  } catch {
    return false;
  }
}

/** The teacher: cached ONNX file, else trained (PyTorch, or tfjs without it) and cached. */
async function teacherFile({ repoRoot, dataName, dataDir, train, test, teacherEpochs, log }) {
  const override = process.env.SHRINKRAY_BENCH_DISTILL_TEACHER;
  if (override) return { file: override, description: `given teacher ${override} (ONNX Runtime)`, trainSeconds: null };
  const dir = path.join(repoRoot, 'bench-results', 'distill');
  await mkdir(dir, { recursive: true });
  const torch = dataDir !== undefined && (await torchAvailable());
  const file = path.join(dir, torch ? `teacher-${dataName}-torch-cnn32-64-128-e${teacherEpochs}-s1.onnx` : `teacher-${dataName}-tfjs-mlp1200x2-e${teacherEpochs}-s1.onnx`);
  const description = torch
    ? `PyTorch CNN (conv 32-64 + dense 128, dropout 0.5; ${teacherEpochs} epochs, Adam 1e-3, batch 128) exported to ONNX, run by ONNX Runtime`
    : `tfjs MLP 784-1200-1200-10 (${teacherEpochs} epochs, Adam 1e-3, batch 128) exported to ONNX (PyTorch not available)`;
  if (existsSync(file)) {
    log(`teacher: cached ${path.relative(repoRoot, file)}`);
    return { file, description, trainSeconds: null };
  }
  const t0 = performance.now();
  if (torch) {
    log(`teacher: training in PyTorch (${teacherEpochs} epochs) -> ${path.relative(repoRoot, file)}`);
    const tmp = `${file}.${process.pid}.tmp`;
    await run(PYTHON, [path.join(here, 'teacher_torch.py'), dataDir, tmp, String(teacherEpochs), '1'], { OMP_NUM_THREADS: '2' });
    await rename(tmp, file);
  } else {
    log(`teacher: training a tfjs MLP 1200-1200 (${teacherEpochs} epochs)`);
    const model = buildStudent('mlp:1200,1200', { inputShape: [28, 28, 1], numClasses: train.numClasses, seed: 1, name: 'teacher' });
    await trainAlone({ student: model, data: train, test, epochs: teacherEpochs, batchSize: BATCH, seed: 1, optimizer: OPTIMIZER });
    const saved = await saveStudent(model, path.join(dir, 'tfjs-teacher'), { onnxFileName: 'teacher.onnx' });
    await rename(saved.onnx, file);
  }
  return { file, description, trainSeconds: (performance.now() - t0) / 1000 };
}

/** Data, teacher and its cached logits, shared by both benchmarks within one `pnpm bench` process. */
let shared;
async function prepare(ctx, cfg) {
  if (shared) return shared;
  const { backend } = await initBackend();
  const hasFashion = existsSync(path.join(DEFAULT_FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz')) || existsSync(path.join(DEFAULT_FASHION_MNIST_DIR, 'train-images-idx3-ubyte'));
  const dataName = hasFashion ? 'fashion-mnist' : 'mnist';
  const { train, test } = await openData(dataName);
  ctx.log(`data: ${dataName}, ${train.size} train / ${test.size} test rows; backend ${backend}`);
  const teacher = await teacherFile({ repoRoot: ctx.repoRoot, dataName, dataDir: hasFashion ? DEFAULT_FASHION_MNIST_DIR : undefined, train, test, teacherEpochs: cfg.teacherEpochs, log: ctx.log });
  const model = await OnnxModel.create(teacher.file);
  const t0 = performance.now();
  const trainLogits = await predictLogits(model, train, { batchSize: 1000 });
  const testLogits = await predictLogits(model, test, { batchSize: 1000 });
  const logitsSeconds = (performance.now() - t0) / 1000;
  await model.dispose();
  const teacherAccuracy = accuracy(testLogits, test.labels);
  ctx.log(`teacher: test accuracy ${teacherAccuracy.toFixed(4)}; logits of ${train.size + test.size} rows through ORT in ${logitsSeconds.toFixed(1)} s`);
  shared = { backend, dataName, train, test, teacher, trainLogits, testLogits, teacherAccuracy, logitsSeconds };
  return shared;
}

function machineNote(loadBefore) {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}; load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after (shared machine: throughput is noisy).`;
}

/** @type {import('../../../tooling/bench/registry.js').Benchmark} */
const distillBenchmark = {
  name: 'distill',
  description: 'KD vs student alone on Fashion-MNIST (CNN teacher via ONNX Runtime; MLP 800-800, small CNN, MLP 64 students; mean ± std over seeds)',
  async run(ctx) {
    const loadBefore = os.loadavg()[0];
    const cfg = settings(ctx.quick);
    const s = await prepare(ctx, cfg);
    const teacherSource = { logits: s.trainLogits, testLogits: s.testLogits, name: 'teacher' };
    const seeds = Array.from({ length: cfg.seeds }, (_, i) => i + 1);
    const rows = [{ experiment: 'teacher', student: s.teacher.description, method: '-', accuracy: s.teacherAccuracy.toFixed(4), reference: REFERENCE_TEACHER }];
    const notes = [];
    const summary = [];
    for (const key of cfg.students) {
      const student = STUDENTS[key];
      if (!student) throw new Error(`SHRINKRAY_BENCH_DISTILL_STUDENTS: unknown student '${key}'; known: ${Object.keys(STUDENTS).join(', ')}`);
      const configs = configsFor(cfg, key, student);
      const epochs = cfg.epochs(key);
      const alone = { acc: [], sps: [] };
      const kd = configs.map(() => ({ acc: [], sps: [], agreement: [] }));
      for (const seed of seeds) {
        ctx.log(`${student.spec} seed ${seed}: alone (${epochs} epochs)`);
        const a = await trainAlone({ student: student.spec, data: s.train, test: s.test, epochs, batchSize: BATCH, seed, optimizer: OPTIMIZER });
        alone.acc.push(a.accuracy);
        alone.sps.push(a.history.samplesPerSecond);
        a.student.dispose();
        for (const [i, c] of configs.entries()) {
          ctx.log(`${student.spec} seed ${seed}: KD τ=${c.temperature} α=${c.alpha}`);
          const { model, report } = await distill({ teacher: teacherSource, student: student.spec, data: { train: s.train, test: s.test }, temperature: c.temperature, alpha: c.alpha, epochs, batchSize: BATCH, seed, optimizer: OPTIMIZER });
          kd[i].acc.push(report.student.accuracy);
          kd[i].sps.push(report.samplesPerSecond);
          kd[i].agreement.push(report.agreement);
          model.dispose();
        }
        ctx.log(`${student.spec} seed ${seed}: alone ${a.accuracy.toFixed(4)}, KD ${kd.map((k) => k.acc.at(-1).toFixed(4)).join(' / ')}`);
      }
      const aloneMean = mean(alone.acc);
      rows.push({ experiment: 'distill', student: student.label, epochs, method: 'alone', accuracy: pm(alone.acc), reference: student.reference, perSeed: alone.acc.map((v) => v.toFixed(4)).join(' '), samplesPerSecond: mean(alone.sps) });
      for (const [i, c] of configs.entries()) {
        const gap = (mean(kd[i].acc) - aloneMean) / (s.teacherAccuracy - aloneMean);
        const wins = kd[i].acc.filter((v, j) => v > alone.acc[j]).length;
        rows.push({
          experiment: 'distill',
          student: student.label,
          epochs,
          method: `KD τ=${c.temperature} α=${c.alpha}`,
          accuracy: pm(kd[i].acc),
          reference: c.reference,
          perSeed: kd[i].acc.map((v) => v.toFixed(4)).join(' '),
          gapClosed: gapText(gap, s.teacherAccuracy, aloneMean),
          beatsAlone: `${wins}/${seeds.length}`,
          agreement: mean(kd[i].agreement),
          samplesPerSecond: mean(kd[i].sps),
        });
        summary.push({ student: key, epochs, temperature: c.temperature, alpha: c.alpha, alone: alone.acc, kd: kd[i].acc, gapClosed: gap, wins, seeds: seeds.length });
      }
    }
    const hinton = summary.find((x) => x.student === 'mlp800' && x.temperature === 4);
    if (hinton) {
      const met = hinton.wins === hinton.seeds && hinton.gapClosed >= 0.4;
      notes.push(`Target (Hinton setting, τ=4 α=0.7): KD beats alone on every seed and closes ≥ 40% of the gap -> ${met ? 'met' : 'NOT met'} (${hinton.wins}/${hinton.seeds} seeds, ${(hinton.gapClosed * 100).toFixed(0)}%).`);
    }
    notes.push(
      `PyTorch reference: issue #5's measurements (same students, 10 epochs, Adam 1e-3, batch 128; teacher ${REFERENCE_TEACHER}), to compare students run for run; the gap closed depends on the teacher's accuracy as much as on the student.`,
      `Data: ${s.dataName} (${s.train.size} train, ${s.test.size} test). Students: the epochs column (the same for alone and KD), Adam(1e-3), batch ${BATCH}, seeds ${seeds.join(', ')}; the same seed gives alone and KD the same initial weights and batch order. Accuracy on the test split; gap closed = (KD − alone) / (teacher − alone) on the means.`,
      `KD loss: hinton = (1−α)·CE + α·τ²·KL(softmax(t/τ) ‖ softmax(s/τ)). Teacher logits computed once through ONNX Runtime (${s.logitsSeconds.toFixed(1)} s for train + test) and reused by every run${s.teacher.trainSeconds ? `; teacher trained in ${s.teacher.trainSeconds.toFixed(0)} s` : ''}.`,
      `Training throughput: tfjs backend '${s.backend}' (samples/s over optimizer steps, mean over seeds).`,
      machineNote(loadBefore),
    );
    return {
      title: `Knowledge distillation on ${s.dataName}: student alone vs distilled (teacher ${s.teacherAccuracy.toFixed(4)})`,
      columns: [
        { key: 'experiment', label: 'experiment' },
        { key: 'student', label: 'student' },
        { key: 'epochs', label: 'epochs' },
        { key: 'method', label: 'method' },
        { key: 'accuracy', label: 'test acc (mean ± std)' },
        { key: 'reference', label: 'PyTorch reference', digits: 3 },
        { key: 'perSeed', label: 'per seed' },
        { key: 'gapClosed', label: 'gap closed' },
        { key: 'beatsAlone', label: 'beats alone' },
        { key: 'agreement', label: 'agreement w/ teacher', digits: 3 },
        { key: 'samplesPerSecond', label: 'train samples/s', digits: 0 },
      ],
      rows,
      notes,
      meta: { backend: s.backend, seeds, teacherAccuracy: s.teacherAccuracy, summary, teacher: s.teacher.description },
    };
  },
};

/** Indices of `perClass·classes` labelled rows (class-balanced, seeded) and the rest. */
function labelledSplit(y, classes, total, seed) {
  const byClass = Array.from({ length: classes }, () => []);
  for (let i = 0; i < y.length; i++) byClass[y[i]].push(i);
  const rng = new Rng(seed);
  const picked = new Uint8Array(y.length);
  const per = Math.floor(total / classes);
  for (const members of byClass) for (const i of rng.shuffle(members).slice(0, per)) picked[i] = 1;
  const labelled = [];
  const rest = [];
  for (let i = 0; i < y.length; i++) (picked[i] ? labelled : rest).push(i);
  return { labelled, rest };
}

/** @type {import('../../../tooling/bench/registry.js').Benchmark} */
const transferBenchmark = {
  name: 'distill-transfer',
  description: 'few labels + many unlabelled inputs: student alone on 5,000 labelled rows vs distilled with the other training images as a transfer set',
  async run(ctx) {
    const loadBefore = os.loadavg()[0];
    const cfg = settings(ctx.quick);
    const s = await prepare(ctx, cfg);
    const seeds = Array.from({ length: cfg.seeds }, (_, i) => i + 1);
    const epochs = cfg.epochs('transfer');
    const alone = { acc: [], sps: [] };
    const kd = { acc: [], sps: [], agreement: [] };
    let sizes;
    for (const seed of seeds) {
      const { labelled, rest } = labelledSplit(s.train.labels, s.train.numClasses, cfg.labelled, seed);
      sizes = { labelled: labelled.length, unlabelled: rest.length };
      const data = s.train.subset(labelled);
      // The same rows, in the training split's order (the teacher logits' order), the rest unlabelled.
      const masked = new Int32Array(s.train.size).fill(UNLABELLED);
      for (const i of labelled) masked[i] = s.train.labels[i];
      const withTransfer = s.train.withLabels(masked);
      ctx.log(`transfer seed ${seed}: alone on ${labelled.length} labelled rows`);
      const a = await trainAlone({ student: cfg.transferStudent, data, test: s.test, epochs, batchSize: BATCH, seed, optimizer: OPTIMIZER });
      alone.acc.push(a.accuracy);
      alone.sps.push(a.history.samplesPerSecond);
      a.student.dispose();
      ctx.log(`transfer seed ${seed}: distilled with ${rest.length} unlabelled rows`);
      const { model: distilled, report } = await distill({ teacher: { logits: s.trainLogits, testLogits: s.testLogits }, student: cfg.transferStudent, data: { train: withTransfer, test: s.test }, temperature: 4, alpha: 0.7, epochs, batchSize: BATCH, seed, optimizer: OPTIMIZER });
      kd.acc.push(report.student.accuracy);
      kd.sps.push(report.samplesPerSecond);
      kd.agreement.push(report.agreement);
      distilled.dispose();
      ctx.log(`transfer seed ${seed}: alone ${a.accuracy.toFixed(4)}, distilled ${report.student.accuracy.toFixed(4)}`);
    }
    const aloneMean = mean(alone.acc);
    const gap = (mean(kd.acc) - aloneMean) / (s.teacherAccuracy - aloneMean);
    const wins = kd.acc.filter((v, j) => v > alone.acc[j]).length;
    return {
      title: `Transfer set on ${s.dataName}: ${sizes.labelled} labels alone vs + ${sizes.unlabelled} unlabelled inputs (teacher ${s.teacherAccuracy.toFixed(4)})`,
      columns: [
        { key: 'method', label: 'method' },
        { key: 'rows', label: 'training rows' },
        { key: 'accuracy', label: 'test acc (mean ± std)' },
        { key: 'perSeed', label: 'per seed' },
        { key: 'gapClosed', label: 'gap closed' },
        { key: 'beatsAlone', label: 'beats alone' },
        { key: 'samplesPerSecond', label: 'train samples/s', digits: 0 },
      ],
      rows: [
        { method: 'teacher', rows: `${s.train.size} labelled`, accuracy: s.teacherAccuracy.toFixed(4) },
        { method: `${cfg.transferStudent} alone`, rows: `${sizes.labelled} labelled`, accuracy: pm(alone.acc), perSeed: alone.acc.map((v) => v.toFixed(4)).join(' '), samplesPerSecond: mean(alone.sps) },
        {
          method: `${cfg.transferStudent} KD τ=4 α=0.7`,
          rows: `${sizes.labelled} labelled + ${sizes.unlabelled} unlabelled`,
          accuracy: pm(kd.acc),
          perSeed: kd.acc.map((v) => v.toFixed(4)).join(' '),
          gapClosed: gapText(gap, s.teacherAccuracy, aloneMean),
          beatsAlone: `${wins}/${seeds.length}`,
          samplesPerSecond: mean(kd.sps),
        },
      ],
      notes: [
        `Labelled rows: ${cfg.labelled / s.train.numClasses} per class, drawn with the run's seed; the unlabelled rows are the rest of the training split, trained on the teacher's soft targets only (CE needs a label). Same epochs (${epochs}), Adam(1e-3), batch ${BATCH} for both, so the distilled run takes ${((sizes.labelled + sizes.unlabelled) / sizes.labelled).toFixed(0)}x the steps. Teacher: ${s.teacher.description}.`,
        `Training throughput: tfjs backend '${s.backend}'.`,
        machineNote(loadBefore),
      ],
      meta: { backend: s.backend, epochs, seeds, teacherAccuracy: s.teacherAccuracy, alone: alone.acc, kd: kd.acc, gapClosed: gap, wins },
    };
  },
};

export default [distillBenchmark, transferBenchmark];
