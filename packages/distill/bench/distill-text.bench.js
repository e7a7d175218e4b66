// `pnpm bench distill-text`: a transformer text classifier distilled into small text students on
// Debian's package descriptions (labelled by Section, the 8 largest sections; `apt-cache dumpavail`).
//
// The corpus, two WordPiece tokenizers (teacher 4,000 tokens, student 1,000) and the teacher — a
// BERT-shaped encoder (4 layers, width 64, 4 heads, FF 256, masked mean pooling) trained in PyTorch
// on every training description — are made by packages/datasets/fixtures/text/make-text-fixtures.py
// (Debian python3-torch) and cached in bench-results/distill-text/corpus (delete it to remake; the
// script is given SHRINKRAY_BENCH_TEXT_TIMEOUT seconds, default 3600). The teacher is a
// transformers.js/Optimum folder run by ONNX Runtime on its own tokenizer; its logits are computed
// once. The students (tfjs) read the student tokenizer's ids.
//
// Per student (text-bag:16, text-cnn:16,32, text-transformer:1,2,16; SHRINKRAY_BENCH_TEXT_STUDENTS,
// space-separated, picks others) and seed: the student trained alone on L labelled rows
// (SHRINKRAY_BENCH_TEXT_LABELLED, default 2000, a seeded sample of the training split) for
// SHRINKRAY_BENCH_TEXT_EPOCHS (20), distilled on the same rows, and distilled on those rows plus every other training description as an
// unlabelled transfer set (teacher soft targets only; SHRINKRAY_BENCH_TEXT_TRANSFER_EPOCHS, default 4,
// as it has ~12x the rows). Same initial weights, optimizer and batch in the three runs; hinton
// loss τ=2, α=0.5 (a probe on seed 1 at 20 epochs: alone 0.766; τ=2 α=0.5 0.782, τ=1 α=0.5 0.785,
// τ=2 α=0.3 0.779; at 8 epochs every KD setting tried trailed alone, still converging).
// Then size (ONNX bytes, parameters) and ONNX Runtime latency at batch 1 (one in-thread session each, lowLatency, round-robin, median of SHRINKRAY_BENCH_TEXT_CALLS calls).
//
// Knobs: SHRINKRAY_BENCH_TEXT_SEEDS (3), SHRINKRAY_BENCH_TEXT_DIR
// (another corpus folder). `--quick`: 1 seed, 2 epochs, text-bag only.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { openData, TextTokenizer } from '@shrinkray/datasets';
import { encodeOnnx, exportTfjs, OnnxTextModel } from '@shrinkray/onnx-io';
import { accuracy, initBackend, Rng, Tensor, UNLABELLED } from '@shrinkray/tensor-core';
import { buildTextStudent, countParams, distill, openTextTeacher, textTeacherLogits, trainAlone } from '../dist/index.js';
import { envInt } from '../../../tooling/bench/lib/env.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(here, '../../datasets/fixtures/text/make-text-fixtures.py');
const BATCH = 64;
const OPTIMIZER = { name: 'adam', learningRate: 5e-3 };
const KD = { temperature: 2, alpha: 0.5 };
const STUDENTS = (process.env.SHRINKRAY_BENCH_TEXT_STUDENTS ?? 'text-bag:16 text-cnn:16,32 text-transformer:1,2,16').split(/\s+/).filter((s) => s !== '');
const CORPUS_ARGS = ['--teacher-vocab', '4000', '--student-vocab', '1000', '--teacher-dim', '64', '--teacher-layers', '4', '--teacher-heads', '4', '--teacher-ff', '256', '--epochs', '3', '--seq-len', '32', '--threads', '1'];

function run(command, args, timeoutMs, log) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      for (const line of String(d).split('\n')) if (/^(classes|teacher)/.test(line)) log(line);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(args[0])} failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-5).join('\n')}`));
    });
  });
}

async function corpus(repoRoot, log) {
  const dir = process.env.SHRINKRAY_BENCH_TEXT_DIR ?? path.join(repoRoot, 'bench-results', 'distill-text', 'corpus');
  if (existsSync(path.join(dir, 'teacher', 'onnx', 'model.onnx'))) return dir;
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} (Debian python3-torch) is needed to make the corpus and teacher`);
  await mkdir(dir, { recursive: true });
  const timeoutMs = envInt('SHRINKRAY_BENCH_TEXT_TIMEOUT', 3600) * 1000;
  log(`making the Debian corpus and training the teacher in PyTorch (up to ${timeoutMs / 1000} s) into ${dir}`);
  await run(PYTHON, [SCRIPT, '--out', dir, ...CORPUS_ARGS], timeoutMs, log);
  return dir;
}

function pickRows(logits, indices) {
  const C = logits.shape[1];
  const out = new Float32Array(indices.length * C);
  indices.forEach((r, i) => out.set(logits.data.subarray(r * C, (r + 1) * C), i * C));
  return new Tensor('float32', [indices.length, C], out);
}

const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
const std = (a) => Math.sqrt(mean(a.map((v) => (v - mean(a)) ** 2)));
const pm = (a) => `${mean(a).toFixed(4)} ± ${std(a).toFixed(4)}`;

/** Median µs per batch-1 call of each `{ model, rows }` (16 rows, one per call), calls interleaved round-robin. */
async function latencies(runners, calls) {
  const times = runners.map(() => []);
  const one = (r, c) => r.rows.sliceRows(c % 16, (c % 16) + 1);
  for (let w = 0; w < 50; w++) for (const r of runners) await r.model.run(one(r, w));
  for (let c = 0; c < calls; c++) {
    for (const [k, r] of runners.entries()) {
      const x = one(r, c);
      const t0 = process.hrtime.bigint();
      await r.model.run(x);
      times[k].push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  return times.map((t) => t.sort((p, q) => p - q)[Math.floor(t.length / 2)]);
}

/** Parameters of an ONNX model: the elements of its initializers. */
function onnxParams(proto) {
  return proto.graph.initializer.reduce((n, t) => n + t.dims.reduce((a, d) => a * Number(d), 1), 0);
}

/** @type {import('../../../tooling/bench/registry.js').Benchmark} */
const distillTextBenchmark = {
  name: 'distill-text',
  description: 'transformer text teacher (ONNX, own tokenizer) → text-bag / text-cnn / text-transformer students on Debian package descriptions: alone vs distilled, with and without a transfer set; size and ORT batch-1 latency',
  async run(ctx) {
    const loadBefore = os.loadavg()[0];
    const seeds = Array.from({ length: ctx.quick ? 1 : envInt('SHRINKRAY_BENCH_TEXT_SEEDS', 3) }, (_, i) => i + 1);
    const epochs = ctx.quick ? 2 : envInt('SHRINKRAY_BENCH_TEXT_EPOCHS', 20);
    // The transfer run sees ~12x more rows per epoch: fewer epochs, still ~2.5x the optimizer steps.
    const transferEpochs = ctx.quick ? 1 : envInt('SHRINKRAY_BENCH_TEXT_TRANSFER_EPOCHS', 4);
    const labelledWanted = envInt('SHRINKRAY_BENCH_TEXT_LABELLED', 2000);
    const students = ctx.quick ? STUDENTS.slice(0, 1) : STUDENTS;
    let labelledCount = labelledWanted;
    const { backend } = await initBackend();
    const dir = await corpus(ctx.repoRoot, ctx.log);

    const tokenizer = await TextTokenizer.load(path.join(dir, 'student-tokenizer'));
    const data = await openData(`jsonl:${path.join(dir, 'train.jsonl')},${path.join(dir, 'test.jsonl')}`, { tokenizer });
    const classNames = data.train.classNames;
    // Keep at least half of the training split for the transfer set (small corpora).
    labelledCount = Math.min(labelledWanted, Math.floor(data.train.size / 2));
    ctx.log(`data: ${data.train.size} train / ${data.test.size} test descriptions, ${classNames.length} sections (${classNames.join(', ')}); student tokenizer ${tokenizer.vocabSize} tokens, ${tokenizer.maxLength} per text; backend ${backend}`);

    const teacher = await openTextTeacher(`hf:${path.join(dir, 'teacher')}`);
    const t0 = performance.now();
    const trainLogits = await textTeacherLogits(teacher, data.texts.train, { classNames, batchSize: 512 });
    const testLogits = await textTeacherLogits(teacher, data.texts.test, { classNames, batchSize: 512 });
    const logitsSeconds = (performance.now() - t0) / 1000;
    const teacherAccuracy = accuracy(testLogits, data.test.labels);
    ctx.log(`teacher: test accuracy ${teacherAccuracy.toFixed(4)}; logits of ${data.train.size + data.test.size} texts through ORT in ${logitsSeconds.toFixed(1)} s`);

    const rows = [];
    const sizes = [];
    const table = {};
    for (const spec of students) {
      const results = { alone: [], distilled: [], transfer: [] };
      let exported;
      let params = 0;
      for (const seed of seeds) {
        const order = new Rng(1000 + seed).permutation(data.train.size);
        const labelled = Int32Array.from(order.subarray(0, labelledCount)).sort();
        const transfer = Int32Array.from(order.subarray(labelledCount)).sort();
        const train = data.train.subset(labelled);
        const build = () => buildTextStudent(spec, { sequenceLength: tokenizer.maxLength, vocabSize: tokenizer.vocabSize, padId: tokenizer.padId, numClasses: classNames.length, seed });
        const common = { epochs, batchSize: BATCH, seed, optimizer: OPTIMIZER };
        const alone = await trainAlone({ student: build(), data: train, test: data.test, ...common });
        results.alone.push(alone.accuracy);
        const kd = await distill({ teacher: { logits: pickRows(trainLogits, labelled), testLogits, name: 'teacher' }, student: build(), data: { train, test: data.test }, ...KD, ...common });
        results.distilled.push(kd.report.student.accuracy);
        // The transfer texts keep their place but lose their labels: soft targets only.
        const partlyLabelled = Int32Array.from(data.train.labels);
        for (const i of transfer) partlyLabelled[i] = UNLABELLED;
        const kdt = await distill({
          teacher: { logits: trainLogits, testLogits, name: 'teacher' },
          student: build(),
          data: { train: data.train.withLabels(partlyLabelled), test: data.test },
          ...KD,
          ...common,
          epochs: transferEpochs,
        });
        results.transfer.push(kdt.report.student.accuracy);
        params = countParams(kdt.model);
        exported ??= encodeOnnx(await exportTfjs(kdt.model));
        ctx.log(`${spec} seed ${seed}: alone ${alone.accuracy.toFixed(4)}, distilled ${kd.report.student.accuracy.toFixed(4)}, distilled + transfer ${kdt.report.student.accuracy.toFixed(4)}`);
        for (const m of [alone.student, kd.model, kdt.model]) m.dispose();
      }
      const wins = (key) => results[key].filter((a, i) => a > results.alone[i]).length;
      rows.push({ student: spec, method: `alone (${labelledCount} labelled)`, accuracy: pm(results.alone), seeds: results.alone.map((a) => a.toFixed(4)).join(' '), beats: '-' });
      rows.push({ student: spec, method: `distilled (same ${labelledCount})`, accuracy: pm(results.distilled), seeds: results.distilled.map((a) => a.toFixed(4)).join(' '), beats: `${wins('distilled')}/${seeds.length}` });
      rows.push({ student: spec, method: `distilled + ${data.train.size - labelledCount} unlabelled`, accuracy: pm(results.transfer), seeds: results.transfer.map((a) => a.toFixed(4)).join(' '), beats: `${wins('transfer')}/${seeds.length}` });
      sizes.push({ spec, bytes: exported.length, params, onnx: exported });
      table[spec] = results;
    }
    rows.unshift({ student: 'teacher', method: `transformer 4x64, trained on all ${data.train.size}`, accuracy: teacherAccuracy.toFixed(4), seeds: '-', beats: '-' });

    const calls = ctx.quick ? 300 : envInt('SHRINKRAY_BENCH_TEXT_CALLS', 3000);
    const teacherBatch1 = await OnnxTextModel.create(path.join(dir, 'teacher', 'onnx', 'model.onnx'), { padId: teacher.tokenizer.padId, lowLatency: true, intraOpNumThreads: 1 });
    const studentModels = [];
    for (const s of sizes) studentModels.push(await OnnxTextModel.create(s.onnx, { name: s.spec, padId: tokenizer.padId, lowLatency: true, intraOpNumThreads: 1 }));
    const teacherIds = teacher.tokenizer.encodeBatch(data.texts.test.slice(0, 16));
    const studentIds = tokenizer.encodeBatch(data.texts.test.slice(0, 16));
    // Each model reads its own tokenizer's ids of the same 16 texts.
    const runners = [
      { model: teacherBatch1, rows: new Tensor('int32', [16, teacherIds.maxLength], teacherIds.ids) },
      ...studentModels.map((m) => ({ model: m, rows: new Tensor('int32', [16, studentIds.maxLength], studentIds.ids) })),
    ];
    const times = await latencies(runners, calls);
    const teacherParams = onnxParams(teacherBatch1.proto);
    const sizeRows = [
      { model: 'teacher (transformer, ONNX)', bytes: teacherBatch1.bytes, params: teacherParams, latency: times[0].toFixed(1), smaller: '1.0x', faster: '1.0x' },
      ...sizes.map((s, i) => ({
        model: `${s.spec} (exported student)`,
        bytes: s.bytes,
        params: s.params,
        latency: times[i + 1].toFixed(1),
        smaller: `${(teacherBatch1.bytes / s.bytes).toFixed(1)}x`,
        faster: `${(times[0] / times[i + 1]).toFixed(1)}x`,
      })),
    ];
    await teacherBatch1.dispose();
    for (const m of studentModels) await m.dispose();
    await teacher.dispose();
    for (const r of sizeRows) rows.push({ student: r.model, method: `ONNX ${r.bytes} bytes, ${r.params} params`, accuracy: '-', seeds: `batch-1 ORT median ${r.latency} µs`, beats: `${r.smaller} smaller, ${r.faster} faster` });

    const allWin = Object.values(table).every((r) => r.distilled.every((a, i) => a > r.alone[i]) && r.transfer.every((a, i) => a > r.alone[i]));
    return {
      title: 'Text KD on Debian package descriptions (8 sections)',
      columns: [
        { key: 'student', label: 'student' },
        { key: 'method', label: 'method' },
        { key: 'accuracy', label: 'test accuracy (mean ± std)' },
        { key: 'seeds', label: 'per seed / latency' },
        { key: 'beats', label: 'beats alone / ratio vs teacher' },
      ],
      rows,
      notes: [
        `Corpus: ${data.train.size} train / ${data.test.size} test one-line descriptions from apt-cache dumpavail (Debian bookworm), deduplicated, label = Section; made by make-text-fixtures.py.`,
        `Teacher: PyTorch encoder (word+position+type embeddings, 4 layers, width 64, 4 heads, FF 256, masked mean pool; 3 epochs AdamW one-cycle 2e-3), WordPiece 4,000 tokens, exported with torch.onnx.export to a transformers.js/Optimum folder; run by ONNX Runtime on its own tokenizer (int64 input_ids, attention_mask, token_type_ids). Logits of all texts in ${logitsSeconds.toFixed(1)} s.`,
        `Students: tfjs, student WordPiece tokenizer of ${tokenizer.vocabSize} tokens (a different tokenizer from the teacher's), ${tokenizer.maxLength} tokens per text; ${epochs} epochs on the ${labelledCount} labelled rows (alone and distilled), ${transferEpochs} epochs on labelled + transfer rows; Adam ${OPTIMIZER.learningRate}, batch ${BATCH}, hinton loss τ=${KD.temperature} α=${KD.alpha}; seeds ${seeds.join(', ')} (labelled sample and initial weights per seed; the three runs of a seed share both).`,
        `Latency: ONNX Runtime, one intra-op thread, lowLatency sessions, batch 1, median of ${calls} calls per model, interleaved round-robin in one process; ratios measured side by side (absolute times on this shared machine are noise).`,
        `Distilled beats alone on every seed for every student and both settings: ${allWin ? 'yes' : 'no'}.`,
        `Backend ${backend}. Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}; load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after.`,
      ],
    };
  },
};

export default [distillTextBenchmark];
