// `pnpm bench ensemble`: 5 members (three small CNNs differing only in seed, a wider CNN, an MLP) trained
// with tensor-core's train() on Fashion-MNIST (Debian's dataset-fashion-mnist; MNIST when absent), every
// aggregator fitted on a validation split held out from the members' training and scored on the test
// split (accuracy, NLL, ECE), and ONNX Runtime serving throughput at batch 1 and 256 for sessions mode
// vs the fused graph vs one member, timed round-robin in one run. Trained members are cached (as ONNX)
// in the OS temp directory, keyed by data, rows and epochs.
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openData } from '@shrinkray/datasets';
import { aggregators, createEnsemble, evaluateEnsemble, serveEnsemble } from '@shrinkray/ensemble';
import { encodeOnnx, exportTfjs, OnnxModel, saveOnnx } from '@shrinkray/onnx-io';
import { evaluate, initBackend, Rng, stratifiedSplit, Tensor, tfl, train } from '@shrinkray/tensor-core';

const conv = (filters, init) => tfl.layers.conv2d({ filters, kernelSize: 3, activation: 'relu', kernelInitializer: init() });

/** The five members: three small CNNs differing only in seed, a wider CNN and an MLP. */
export const memberSpecs = [
  { name: 'cnn-8-16 (seed 1)', seed: 1, arch: 'cnn', epochs: 2 },
  { name: 'cnn-8-16 (seed 2)', seed: 2, arch: 'cnn', epochs: 2 },
  { name: 'cnn-8-16 (seed 3)', seed: 3, arch: 'cnn', epochs: 2 },
  { name: 'cnn-16-32/64 (seed 4)', seed: 4, arch: 'wide', epochs: 2 },
  { name: 'mlp-128 (seed 5)', seed: 5, arch: 'mlp', epochs: 3 },
];

function buildModel(spec) {
  let k = 0;
  const init = () => tfl.initializers.glorotUniform({ seed: spec.seed * 100 + k++ });
  const input = { inputShape: [28, 28, 1] };
  const layers =
    spec.arch === 'mlp'
      ? [tfl.layers.flatten(input), tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init() }), tfl.layers.dense({ units: 10, kernelInitializer: init() })]
      : spec.arch === 'cnn'
        ? [tfl.layers.conv2d({ ...input, filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init() }), tfl.layers.maxPooling2d({ poolSize: 2 }), conv(16, init), tfl.layers.maxPooling2d({ poolSize: 2 }), tfl.layers.flatten(), tfl.layers.dense({ units: 10, kernelInitializer: init() })]
        : [
            tfl.layers.conv2d({ ...input, filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init() }),
            tfl.layers.maxPooling2d({ poolSize: 2 }),
            conv(32, init),
            tfl.layers.maxPooling2d({ poolSize: 2 }),
            tfl.layers.flatten(),
            tfl.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init() }),
            tfl.layers.dense({ units: 10, kernelInitializer: init() }),
          ];
  return tfl.sequential({ name: spec.arch, layers });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const pct = (v) => `${(v * 100).toFixed(2)}%`;

/**
 * Runs the benchmark. Options: `data` (a --data spec; fashion-mnist when its directory exists, else
 * mnist), `trainRows` (rows each member trains on), `validationFraction`, `cacheDir` (trained members
 * are reused from here when present), `rounds1`/`rounds256` (timed rounds per batch size), `log`.
 */
export async function runEnsembleBenchmark(options = {}) {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const { backend } = await initBackend();
  const dataSpec = options.data ?? (existsSync('/usr/share/datasets/fashion-mnist') ? 'fashion-mnist' : 'mnist');
  const { train: fullTrain, test: testSplit } = await openData(dataSpec);
  // The validation split is held out from every member's training, so fitted aggregators see unseen data.
  const { first: trainSplit, second: validationSplit } = stratifiedSplit(fullTrain, options.validationFraction ?? 5000 / fullTrain.size, 0);
  const trainRows = Math.min(options.trainRows ?? 30000, trainSplit.size);
  const trainSet = trainRows < trainSplit.size ? trainSplit.subset(new Rng(0).permutation(trainSplit.size).subarray(0, trainRows)) : trainSplit;
  // Member outputs are computed once on whole splits: read them into memory.
  const inMemory = async (ds) => ({ x: await ds.read(Int32Array.from({ length: ds.size }, (_, i) => i)), y: ds.labels });
  const validation = await inMemory(validationSplit);
  const test = await inMemory(testSplit);
  const cacheDir = options.cacheDir ?? path.join(tmpdir(), 'shrinkray-bench-ensemble', `${dataSpec.replace(/[^a-z0-9-]/gi, '_')}-${trainRows}`);
  mkdirSync(cacheDir, { recursive: true });

  // 1. Members: trained in tfjs (seeded), exported to ONNX, served by ORT.
  const members = [];
  const training = [];
  for (const spec of memberSpecs) {
    const file = path.join(cacheDir, `${spec.arch}-seed${spec.seed}-e${spec.epochs}.onnx`);
    if (!existsSync(file)) {
      log(`training ${spec.name} on ${trainRows} rows for ${spec.epochs} epochs (${backend})`);
      const model = buildModel(spec);
      const { history } = await train({ model, data: trainSet, epochs: spec.epochs, batchSize: 64, seed: spec.seed, optimizer: { name: 'adam', learningRate: 2e-3 } });
      training.push({ member: spec.name, samplesPerSecond: history.samplesPerSecond });
      await saveOnnx(await exportTfjs(model), file);
      model.dispose();
    } else training.push({ member: spec.name, samplesPerSecond: null, cached: file });
    members.push(await OnnxModel.create(file, { name: spec.name }));
  }

  // 2. Member outputs on the validation and test splits (computed once, shared by every aggregator).
  log('predicting validation and test splits');
  const validationLogits = await Promise.all(members.map((m) => m.predict(validation.x)));
  const testLogits = await Promise.all(members.map((m) => m.predict(test.x)));
  const names = members.map((m) => m.name);
  const memberRows = testLogits.map((l, i) => ({ name: names[i], ...evaluate(l, test.y), validationAccuracy: evaluate(validationLogits[i], validation.y).accuracy }));
  const bestMember = memberRows.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));

  // 3. Every aggregator: fitted on validation outputs, scored on the test split.
  const aggregatorRows = [];
  const ensembles = {};
  const diversity = evaluateEnsemble({ memberLogits: testLogits, memberNames: names, probabilities: aggregators.get('mean').fit({ numMembers: 5, numClasses: 10, memberNames: names, seed: 0 }).combine(testLogits), labels: test.y });
  const groups = [
    { label: 'all 5 members', indices: [0, 1, 2, 3, 4] },
    { label: '3 CNNs differing only in seed', indices: [0, 1, 2] },
    { label: 'MLP + wide CNN', indices: [4, 3] },
  ];
  for (const group of groups) {
    const gm = group.indices.map((i) => members[i]);
    const gv = { logits: group.indices.map((i) => validationLogits[i]), labels: validation.y };
    const gt = group.indices.map((i) => testLogits[i]);
    const bestInGroup = Math.max(...group.indices.map((i) => memberRows[i].accuracy));
    for (const name of aggregators.list()) {
      const t = Date.now();
      const ensemble = await createEnsemble(gm, { aggregator: name, validationOutputs: gv, weights: group.indices.map((i) => memberRows[i].validationAccuracy ** 4) });
      const fitSeconds = (Date.now() - t) / 1000;
      const metrics = evaluate(ensemble.aggregator.combine(gt), test.y, { from: 'probabilities' });
      const state = ensemble.aggregator.toJSON();
      aggregatorRows.push({ group: group.label, aggregator: name, ...metrics, vsBestMember: metrics.accuracy - bestInGroup, weights: ensemble.aggregator.weights, notes: ensemble.aggregator.notes, fallback: state.fallback === true, shrink: typeof state.shrink === 'number' ? state.shrink : 0, fitSeconds });
      if (group.indices.length === 5) ensembles[name] = ensemble;
    }
  }

  // 4. Serving: sessions vs fused vs one member, round-robin in one run, at batch 1 and 256.
  log('timing ORT serving');
  const servers = [];
  for (const name of ['mean', 'stacking']) {
    servers.push({ label: `sessions (5 members, ${name})`, server: await serveEnsemble(ensembles[name], { mode: 'sessions' }) });
    servers.push({ label: `fused graph (5 members, ${name})`, server: await serveEnsemble(ensembles[name], { mode: 'fused' }) });
  }
  const single = members[memberRows.indexOf(bestMember)];
  const contenders = [...servers.map((s) => ({ label: s.label, run: (x) => s.server.run(x) })), { label: `one member (${single.name})`, run: (x) => single.run(x) }];
  // Parity on the test split: fused vs sessions.
  const parity = [];
  for (let i = 0; i < servers.length; i += 2) {
    const a = await servers[i].server.run(test.x);
    const b = await servers[i + 1].server.run(test.x);
    let maxAbsDiff = 0;
    for (let k = 0; k < a.size; k++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a.data[k] - b.data[k]));
    parity.push({ aggregator: servers[i].label.replace(/.*, (.*)\)/, '$1'), maxAbsDiff, fusedAccuracy: evaluate(b, test.y, { from: 'probabilities' }).accuracy });
  }
  const throughput = [];
  for (const [batch, rounds] of [
    [1, options.rounds1 ?? 300],
    [256, options.rounds256 ?? 20],
  ]) {
    const x = test.x.sliceRows(0, batch);
    const times = contenders.map(() => []);
    for (let w = 0; w < 5; w++) for (const c of contenders) await c.run(x);
    for (let r = 0; r < rounds; r++) {
      for (const [ci, c] of contenders.entries()) {
        const t0 = process.hrtime.bigint();
        await c.run(x);
        times[ci].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    for (const [ci, c] of contenders.entries()) {
      const sorted = [...times[ci]].sort((p, q) => p - q);
      const total = sorted.reduce((p, q) => p + q, 0);
      throughput.push({ model: c.label, batch, samplesPerSecond: (batch * rounds) / (total / 1000), p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) });
    }
  }
  for (const s of servers) await s.server.dispose();
  await Promise.all(members.map((m) => m.dispose()));

  const speedup = (batch, agg) => {
    const f = throughput.find((r) => r.batch === batch && r.model === `fused graph (5 members, ${agg})`);
    const s = throughput.find((r) => r.batch === batch && r.model === `sessions (5 members, ${agg})`);
    return f.samplesPerSecond / s.samplesPerSecond;
  };
  const p50Speedup = (batch, agg) => {
    const f = throughput.find((r) => r.batch === batch && r.model === `fused graph (5 members, ${agg})`);
    const s = throughput.find((r) => r.batch === batch && r.model === `sessions (5 members, ${agg})`);
    return s.p50Ms / f.p50Ms;
  };
  const allFive = aggregatorRows.filter((r) => r.group === 'all 5 members');
  const bestAggregator = allFive.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  const summary = {
    data: dataSpec,
    backend,
    trainRows,
    validationRows: validation.y.length,
    testRows: test.y.length,
    bestMember: { name: bestMember.name, accuracy: bestMember.accuracy },
    bestAggregator: { name: bestAggregator.aggregator, accuracy: bestAggregator.accuracy },
    bestAggregatorBeatsBestMember: bestAggregator.accuracy > bestMember.accuracy,
    fusedSpeedupBatch1: { mean: speedup(1, 'mean'), stacking: speedup(1, 'stacking') },
    fusedSpeedupBatch256: { mean: speedup(256, 'mean'), stacking: speedup(256, 'stacking') },
    fusedP50SpeedupBatch1: { mean: p50Speedup(1, 'mean'), stacking: p50Speedup(1, 'stacking') },
    fusedP50SpeedupBatch256: { mean: p50Speedup(256, 'mean'), stacking: p50Speedup(256, 'stacking') },
    seconds: (Date.now() - started) / 1000,
  };

  const lines = [];
  lines.push(`# Ensemble benchmark (${dataSpec}, ${backend} training, onnxruntime-node serving)`, '');
  lines.push(`Members trained on ${trainRows} training rows; aggregators fitted on a ${validation.y.length}-row validation split held out from every member's training; all scores on the ${test.y.length}-row test split.`, '');
  lines.push('## Members (test split)', '', '| member | accuracy | NLL | ECE | validation accuracy |', '|---|---:|---:|---:|---:|');
  for (const m of memberRows) lines.push(`| ${m.name} | ${pct(m.accuracy)} | ${m.nll.toFixed(4)} | ${m.ece.toFixed(4)} | ${pct(m.validationAccuracy)} |`);
  lines.push('', `Mean pairwise disagreement of the 5 members on the test split: ${pct(diversity.meanDisagreement)}.`, '');
  for (const group of groups) {
    const bestInGroup = Math.max(...group.indices.map((i) => memberRows[i].accuracy));
    lines.push(`## Aggregators: ${group.label} (best member ${pct(bestInGroup)})`, '', '| aggregator | accuracy | vs best member | NLL | ECE | weights | fit s |', '|---|---:|---:|---:|---:|---|---:|');
    for (const r of aggregatorRows.filter((a) => a.group === group.label)) {
      const w = r.weights ? r.weights.map((v) => v.toFixed(3)).join(', ') : 'meta-model';
      const tag = r.fallback ? ' (= best member)' : r.shrink > 0 ? ` (blended ${Math.round(r.shrink * 100)}% to best)` : '';
      lines.push(`| ${r.aggregator}${tag} | ${pct(r.accuracy)} | ${(r.vsBestMember * 100 >= 0 ? '+' : '') + (r.vsBestMember * 100).toFixed(2)} pt | ${r.nll.toFixed(4)} | ${r.ece.toFixed(4)} | ${w} | ${r.fitSeconds.toFixed(1)} |`);
    }
    lines.push('');
  }
  lines.push('`weighted` uses user weights ∝ (validation accuracy)⁴, standing in for hand-picked weights. `optimized` and `stacking` are blended towards the best member (or replaced by it) when their fit is less accurate than that member on the validation split.', '');
  lines.push('## Serving throughput (ONNX Runtime, measured round-robin in one run)', '', '| served as | batch | samples/s | p50 ms | p99 ms |', '|---|---:|---:|---:|---:|');
  for (const r of throughput) lines.push(`| ${r.model} | ${r.batch} | ${Math.round(r.samplesPerSecond).toLocaleString('en-US')} | ${r.p50Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} |`);
  lines.push('', `Fused vs sessions speed-up in throughput: batch 1 ${summary.fusedSpeedupBatch1.mean.toFixed(2)}x (mean), ${summary.fusedSpeedupBatch1.stacking.toFixed(2)}x (stacking); batch 256 ${summary.fusedSpeedupBatch256.mean.toFixed(2)}x (mean), ${summary.fusedSpeedupBatch256.stacking.toFixed(2)}x (stacking); in p50 latency: batch 1 ${summary.fusedP50SpeedupBatch1.mean.toFixed(2)}x (mean), ${summary.fusedP50SpeedupBatch1.stacking.toFixed(2)}x (stacking); batch 256 ${summary.fusedP50SpeedupBatch256.mean.toFixed(2)}x (mean), ${summary.fusedP50SpeedupBatch256.stacking.toFixed(2)}x (stacking).`);
  lines.push(`Fused vs sessions outputs on the test split: ${parity.map((p) => `${p.aggregator} max |Δp| ${p.maxAbsDiff.toExponential(2)}, fused accuracy ${pct(p.fusedAccuracy)}`).join('; ')}.`, '');
  return { markdown: lines.join('\n'), json: { summary, members: memberRows, aggregators: aggregatorRows, throughput, parity, training, diversity: diversity.meanDisagreement } };
}

const fmt = (v, d = 4) => (typeof v === 'number' ? v.toFixed(d) : '');

/** @type {import('../../../tooling/bench/registry.js').Benchmark} */
export default {
  name: 'ensemble',
  description: '5 members on Fashion-MNIST: member accuracies vs every aggregator (acc/NLL/ECE), ORT sessions vs fused vs one member at batch 1 and 256',
  async run({ quick, log }) {
    const options = quick
      ? { data: 'mnist', trainRows: 2000, validationFraction: 0.1, rounds1: 30, rounds256: 3, log }
      : { trainRows: Number(process.env.SHRINKRAY_BENCH_ENSEMBLE_ROWS ?? 55000), rounds1: 300, rounds256: 20, log };
    const { markdown, json } = await runEnsembleBenchmark(options);
    const rows = [];
    for (const m of json.members) rows.push({ section: 'member', name: m.name, accuracy: m.accuracy * 100, nll: m.nll, ece: m.ece });
    for (const a of json.aggregators) {
      const tag = a.fallback ? ' (= best member)' : a.shrink > 0 ? ` (blended ${Math.round(a.shrink * 100)}% to best)` : '';
      rows.push({ section: `aggregator: ${a.group}`, name: `${a.aggregator}${tag}`, accuracy: a.accuracy * 100, delta: a.vsBestMember * 100, nll: a.nll, ece: a.ece, weights: a.weights ? a.weights.map((w) => fmt(w, 3)).join(', ') : 'meta-model' });
    }
    for (const t of json.throughput) rows.push({ section: 'serving (ORT)', name: t.model, batch: t.batch, samplesPerSecond: t.samplesPerSecond, p50Ms: t.p50Ms, p99Ms: t.p99Ms });
    const s = json.summary;
    const notes = [
      `data ${s.data}: members trained on ${s.trainRows} training rows (tensor-core train(), ${s.backend} backend, Adam 2e-3, batch 64, seeded); aggregators fitted on a ${s.validationRows}-row validation split held out from every member's training; all scores on the ${s.testRows}-row test split. Accuracy in %, "Δ best" in points vs the best member of the group.`,
      `best member ${s.bestMember.name} ${(s.bestMember.accuracy * 100).toFixed(2)}%; best aggregator over all 5 members: ${s.bestAggregator.name} ${(s.bestAggregator.accuracy * 100).toFixed(2)}% (${s.bestAggregatorBeatsBestMember ? 'beats' : 'does not beat'} the best member).`,
      `fused vs sessions: throughput ${s.fusedSpeedupBatch1.mean.toFixed(2)}x (mean) / ${s.fusedSpeedupBatch1.stacking.toFixed(2)}x (stacking) at batch 1, ${s.fusedSpeedupBatch256.mean.toFixed(2)}x / ${s.fusedSpeedupBatch256.stacking.toFixed(2)}x at batch 256; p50 latency ${s.fusedP50SpeedupBatch1.mean.toFixed(2)}x / ${s.fusedP50SpeedupBatch1.stacking.toFixed(2)}x at batch 1, ${s.fusedP50SpeedupBatch256.mean.toFixed(2)}x / ${s.fusedP50SpeedupBatch256.stacking.toFixed(2)}x at batch 256.`,
      `fused graph vs sessions outputs on the test split: ${json.parity.map((p) => `${p.aggregator} max |Δp| ${p.maxAbsDiff.toExponential(2)}`).join(', ')}.`,
      'serving: every contender runs the same input once per round, round-robin, after 5 warm-up rounds; onnx-io OnnxModel session defaults (intra-op threads min(2, CPUs), no spinning); sessions mode runs the 5 member sessions concurrently and combines in JS.',
      '`weighted` uses weights ∝ (validation accuracy)⁴, standing in for user weights; `optimized` and `stacking` are blended towards the best member (or replaced by it) only when their fit is less accurate than that member on the validation split.',
      `mean pairwise disagreement of the 5 members on the test split: ${(json.diversity * 100).toFixed(2)}%. Wall time ${s.seconds.toFixed(0)} s.`,
    ];
    return {
      title: `Ensemble: aggregators and ORT serving (${s.data})`,
      columns: [
        { key: 'section', label: 'section' },
        { key: 'name', label: 'member / aggregator / served as' },
        { key: 'accuracy', label: 'accuracy %', digits: 2 },
        { key: 'delta', label: 'Δ best (pt)', digits: 2 },
        { key: 'nll', label: 'NLL', digits: 4 },
        { key: 'ece', label: 'ECE', digits: 4 },
        { key: 'weights', label: 'weights' },
        { key: 'batch', label: 'batch' },
        { key: 'samplesPerSecond', label: 'samples/s', digits: 0 },
        { key: 'p50Ms', label: 'p50 ms', digits: 3 },
        { key: 'p99Ms', label: 'p99 ms', digits: 3 },
      ],
      rows,
      notes,
      meta: { ...json, report: markdown },
    };
  },
};
