// `pnpm bench prune-arch`: structured pruning by dependency groups on real architectures (issue #13).
// torchvision resnet18(num_classes=10) and mobilenet_v2(num_classes=10), adapted to 1x28x28, trained
// briefly on Fashion-MNIST with Debian's PyTorch and exported to ONNX by fixtures/make_arch_fixtures.py
// (made on first run, cached under bench-results/), imported here, 50% of every dependency group's
// channels removed (l1 group importance, mean), fine-tuned; accuracy, MACs, parameters vs Torch-Pruning's
// (1-p)^2 rule of thumb, ONNX Runtime throughput at batch 1 and 64 vs dense, and fine-tuning samples/s
// next to PyTorch's on the same architecture.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openData } from '@shrinkray/datasets';
import { OnnxModel } from '@shrinkray/onnx-io';
import { initBackend, Rng, Tensor, TfjsModel, train as trainModel } from '@shrinkray/tensor-core';
import { cloneModel, countMacs, loadModelForPruning, modelAccuracy, prune, toOnnxBytes } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.SHRINKRAY_PYTHON ?? '/usr/bin/python3';
const FASHION = '/usr/share/datasets/fashion-mnist';
const SEED = 7;
const TARGET = 0.5;
/** `PRUNE_ARCH_MODELS=resnet18` (comma-separated keys) runs a subset. */
const ONLY = process.env.PRUNE_ARCH_MODELS?.split(',');
const ALL_MODELS = [
  // PyTorch training of the fixtures: MobileNetV2 learns nothing in 47 steps of batch 128 (10% test accuracy), so it gets smaller batches
  { key: 'resnet18', label: 'ResNet-18 (torchvision, 28x28)', speedTarget: 1.7, torchRows: 6000, torchBatch: 128 },
  { key: 'mobilenet_v2', label: 'MobileNetV2 (torchvision, 28x28)', speedTarget: 1.4, torchRows: 3000, torchBatch: 32 },
];
const MODELS = ALL_MODELS.filter((m) => !ONLY || ONLY.includes(m.key));

/** Runs the fixture script for each model whose ONNX file is not cached yet (a different quick/full setting reuses what is there). */
function fixtures(dir, quick, log) {
  const metaFile = path.join(dir, 'fixtures.json');
  const cached = () => (existsSync(metaFile) ? JSON.parse(readFileSync(metaFile, 'utf8')) : { models: {} });
  for (const m of MODELS) {
    if (existsSync(path.join(dir, `${m.key}.onnx`)) && cached().models[m.key]) continue;
    const rows = quick ? 1000 : m.torchRows;
    log(`making the ${m.key} fixture with PyTorch (${rows} training rows, batch ${m.torchBatch}, 1 epoch) into ${dir}; this takes minutes`);
    execFileSync(PYTHON, [path.join(here, 'fixtures', 'make_arch_fixtures.py'), dir, '--models', m.key, '--train-rows', String(rows), '--train-batch', String(m.torchBatch), '--epochs', '1', '--seed', '1'], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return cached();
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

/** Largest |ORT − tfjs| over the logits of a few test rows. */
async function ortVsTfjs(bytes, model, x) {
  const ort = await OnnxModel.create(bytes, { name: 'check' });
  try {
    const a = await ort.predict(x);
    const b = await new TfjsModel(model).predict(x);
    let max = 0;
    for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i] - b.data[i]));
    return max;
  } finally {
    await ort.dispose();
  }
}

/** @type {import('../../../tooling/bench/registry.js').Benchmark} */
export default {
  name: 'prune-arch',
  description: 'structured pruning by dependency groups: torchvision ResNet-18 and MobileNetV2 on Fashion-MNIST, 50% per group + fine-tuning; accuracy, MACs, params vs (1-p)^2, ORT b1/b64 speed-up, fine-tuning vs PyTorch samples/s',
  async run({ repoRoot, quick, log }) {
    const { backend } = await initBackend();
    const finetuneRows = quick ? 500 : 6000;
    const finetuneEpochs = quick ? 1 : 2;
    const testRows = quick ? 500 : 2000;
    const dir = path.join(repoRoot, 'bench-results', 'prune-arch-fixtures');
    const meta = fixtures(dir, quick, log);
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
    const metaOut = { backend, loadAverage: [], torch: meta, torchSpeed, groups: {} };
    for (const spec of MODELS) {
      const file = path.join(dir, `${spec.key}.onnx`);
      const dense = await loadModelForPruning(file);
      const denseAcc = await modelAccuracy(dense, data.test);
      const denseMacs = countMacs(dense).total;
      log(`${spec.label}: imported, tfjs accuracy ${denseAcc.toFixed(4)} on ${testRows} test rows (PyTorch, full test split: ${meta.models[spec.key].testAccuracy.toFixed(4)})`);
      const start = performance.now();
      const { model: pruned, report } = await prune({
        model: dense,
        data,
        sparsity: TARGET,
        structured: true,
        criterion: 'l1',
        finetune: { epochs: finetuneEpochs, batchSize: 64 },
        seed: SEED,
        exportOnnx: false,
        onEvent: (e) => {
          if (e.type === 'train' && e.event.type === 'batch' && e.event.batch % 10 === 0) log(`  fine-tune batch ${e.event.batch}/${e.event.batches} loss ${e.event.loss.toFixed(3)}`);
        },
      });
      log(`${spec.label}: pruned + fine-tuned in ${((performance.now() - start) / 1000).toFixed(0)} s, accuracy ${report.accuracy.after.toFixed(4)}`);
      const groups = report.groups;
      metaOut.groups[spec.key] = { groups, unsupported: report.unsupported };
      const pruned_ = groups.filter((g) => g.status === 'pruned');
      const blocked = groups.filter((g) => g.status === 'blocked');
      const coupled = pruned_.filter((g) => g.producers.length > 1);
      groupNotes.push(
        `${spec.label}: ${groups.length} groups, ${pruned_.length} pruned (${coupled.length} residual groups joining ${coupled.map((g) => g.producers.length).join('+')} producers; channels ${pruned_.map((g) => `${g.channels.before}->${g.channels.after}`).join(', ')}), ${blocked.length} left unpruned (${blocked.map((g) => `${g.producers.join(',')}: ${g.blockers.map((b) => b.reason).join('; ')}`).join(' | ')}); unsupported layers: ${report.unsupported.length === 0 ? 'none' : report.unsupported.map((u) => `${u.layer} (${u.className})`).join(', ')}.`,
      );
      // control: the dense model fine-tuned on the same rows for the same epochs (the fixtures are under-trained)
      log(`${spec.label}: dense control, ${finetuneEpochs} epoch(s) on the same rows`);
      const control = await cloneModel(dense);
      const controlRun = await trainModel({ model: control, data: data.train, epochs: finetuneEpochs, batchSize: 64, seed: SEED, optimizer: { name: 'adam', learningRate: 1e-3 } });
      const controlAcc = await modelAccuracy(control, data.test);
      control.dispose();
      log(`${spec.label}: control accuracy ${controlAcc.toFixed(4)}`);
      const denseBytes = await toOnnxBytes(dense);
      const prunedBytes = await toOnnxBytes(pruned);
      const diff = await ortVsTfjs(prunedBytes, pruned, await test.read(Int32Array.from({ length: 32 }, (_, i) => i)));
      log(`${spec.label}: ORT throughput, dense vs pruned (batch 1 and 64)`);
      const speed = await throughput({ torch: readFileSync(file), dense: denseBytes, pruned: prunedBytes }, quick);
      metaOut.loadAverage.push(os.loadavg());
      const paramsRatio = report.params.storedAfter / report.params.storedBefore;
      const ts = torchSpeed[spec.key];
      const b1 = speed.pruned[1] / speed.dense[1];
      const b64 = speed.pruned[64] / speed.dense[64];
      const delta = (report.accuracy.after - denseAcc) * 100;
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
      rows.push({ model: spec.label, variant: `dense + ${finetuneEpochs} ep on the same rows (control)`, macs: denseMacs / 1e6, params: report.params.storedBefore, accuracy: controlAcc, delta: (controlAcc - denseAcc) * 100, ftTrain: controlRun.history.samplesPerSecond });
      rows.push({
        model: spec.label,
        variant: `pruned ${TARGET * 100}% per group + ${finetuneEpochs} ep`,
        macs: report.macs.after / 1e6,
        macsX: report.macs.before / report.macs.after,
        params: report.params.storedAfter,
        paramsRatio,
        rule: (1 - TARGET) ** 2,
        accuracy: report.accuracy.after,
        delta,
        ortB1: speed.pruned[1],
        ortB64: speed.pruned[64],
        speedup: `${b1.toFixed(2)}x / ${b64.toFixed(2)}x`,
        ftTrain: report.finetune.samplesPerSecond,
        torchTrain: ts.halved.samplesPerSecond,
        ortDiff: diff.toExponential(1),
      });
      const macsOk = spec.key !== 'resnet18' || report.macs.before / report.macs.after >= 2;
      const met = delta >= -1 && macsOk && b1 >= spec.speedTarget && b64 >= spec.speedTarget;
      notes.push(
        `Target ${spec.label}: accuracy within 1 point of dense (${delta.toFixed(2)} pts)${spec.key === 'resnet18' ? `, MACs >= 2x fewer (${(report.macs.before / report.macs.after).toFixed(2)}x)` : ''}, ORT >= ${spec.speedTarget}x at batch 1 and 64 (${b1.toFixed(2)}x / ${b64.toFixed(2)}x) -> ${met ? 'met' : 'NOT met'}; against the control (dense fine-tuned alike) the pruned model is ${((report.accuracy.after - controlAcc) * 100).toFixed(2)} pts. Parameters kept ${(paramsRatio * 100).toFixed(1)}% vs (1-p)^2 = ${((1 - TARGET) ** 2 * 100).toFixed(1)}%. Fine-tuning ${report.finetune.samplesPerSecond.toFixed(1)} samples/s (tfjs ${report.finetune.backend}) vs PyTorch ${ts.halved.samplesPerSecond.toFixed(1)} samples/s on the same pruned architecture (${(ts.halved.samplesPerSecond / report.finetune.samplesPerSecond).toFixed(1)}x).`,
      );
      dense.dispose();
      pruned.dispose();
    }
    notes.unshift(
      `Fixtures: torchvision ${meta.torchvision} models, PyTorch ${meta.torch}, trained 1 epoch with Adam 1e-3 on a random subset of the Fashion-MNIST training split only, to fit the time budget (${MODELS.map((m) => `${m.key}: ${meta.models[m.key].trainRows} rows, batch ${meta.models[m.key].batch}, PyTorch test accuracy ${meta.models[m.key].testAccuracy.toFixed(4)} on the full test split`).join('; ')}), exported with torch.onnx.export (opset 13, BN folded). Fine-tuning: the last ${finetuneRows} rows of the training split (about 10% of them are also in the fixtures' random subset), ${finetuneEpochs} epoch(s), Adam 1e-3, batch 64, tfjs backend ${backend}. Accuracy on the first ${testRows} test rows. The dense models are under-trained, so fine-tuning also continues training: the control row fine-tunes the dense model alike (its samples/s is tfjs training of the dense model).`,
      ...groupNotes,
      'Pruning: one-shot, l1 group importance (each member scored per channel, divided by its mean over the group, averaged over members), 50% of every group that can be pruned; the classifier output group is left alone (it is the model output).',
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
