import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encodeIdx, loadMnist } from '@shrinkray/datasets';
import { exportTfjs, saveOnnx } from '@shrinkray/onnx-io';
import { initBackend, saveTfjsModel, stratifiedSplit, tf, tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { arrays } from './arrays.util.js';
import { shrinkray, tempDir } from './helpers.js';

let dir: string;
let files: string[];
/** Independent reference: each member's softmax probabilities on the test and validation splits, from tfjs. */
let testProbs: Float32Array[];
let validationProbs: Float32Array[];
let testY: Int32Array;
let validationY: Int32Array;

function accuracy(p: Float32Array, y: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (p[i * 10 + c]! > p[i * 10 + best]!) best = c;
    if (best === y[i]) correct++;
  }
  return correct / y.length;
}

interface Result {
  members: { model: string; accuracy: number; weight: number | null }[];
  ensemble: { accuracy: number; nll: number; ece: number; samples: number };
  aggregator: string;
  files: string[];
  fused: { accuracy: number; maxAbsDiff: number } | null;
}

beforeAll(async () => {
  await initBackend();
  dir = tempDir('shrinkray-ensemble-');
  const mnist = await loadMnist();
  const train = await arrays(mnist.train);
  const test = await arrays(mnist.test);
  const x = train.x.sliceRows(0, 2000).toTfjs();
  const y = tf.oneHot(tf.tensor1d(train.y.subarray(0, 2000), 'int32'), 10);
  // The split the CLI carves with --seed 5: tensor-core's stratifiedSplit (10% of each class).
  const validation = await arrays(stratifiedSplit(mnist.train, 0.1, 5).second);
  testY = test.y;
  validationY = validation.y;
  files = [];
  testProbs = [];
  validationProbs = [];
  for (const [i, units] of [16, 32, 8].entries()) {
    const model = tfl.sequential({
      layers: [
        tfl.layers.flatten({ inputShape: [28, 28, 1] }),
        tfl.layers.dense({ units, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: i }) }),
        tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 10 + i }) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    await model.fit(x, y, { epochs: 2, batchSize: 100, shuffle: false, verbose: 0 });
    testProbs.push(tf.tidy(() => (model.predict(test.x.toTfjs()) as tf.Tensor).dataSync() as Float32Array));
    validationProbs.push(tf.tidy(() => (model.predict(validation.x.toTfjs()) as tf.Tensor).dataSync() as Float32Array));
    if (i === 2) {
      // The third member is served from ONNX, as a user with a PyTorch or exported model would.
      const file = path.join(dir, 'm2.onnx');
      await saveOnnx(await exportTfjs(model), file);
      files.push(file);
    } else {
      const [json] = await saveTfjsModel(model, path.join(dir, `m${i}`));
      files.push(json!);
    }
  }
  tf.dispose([x, y]);
});

describe('shrinkray ensemble', () => {
  it('mean: member and ensemble test accuracies match an independent tfjs computation', () => {
    const run = shrinkray(['ensemble', ...files, '--data', 'mnist', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as Result;
    expect(result.aggregator).toBe('mean');
    expect(result.files).toEqual([]);
    expect(result.members.map((m) => m.model)).toEqual(files);
    for (const [i, m] of result.members.entries()) {
      expect(m.accuracy).toBeCloseTo(accuracy(testProbs[i]!, testY), 10);
      expect(m.weight).toBeCloseTo(1 / 3, 12);
    }
    const mean = testProbs[0]!.map((v, k) => (v + testProbs[1]![k]! + testProbs[2]![k]!) / 3);
    expect(result.ensemble.accuracy).toBeCloseTo(accuracy(mean, testY), 10);
    expect(result.ensemble.samples).toBe(2000);
  });

  it('accuracy-weighted: wᵢ = accᵢ / Σ accⱼ on the validation split carved with --seed', () => {
    const run = shrinkray(['ensemble', ...files, '--data', 'mnist', '--aggregator', 'accuracy-weighted', '--seed', '5', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as Result;
    const acc = validationProbs.map((p) => accuracy(p, validationY));
    const total = acc.reduce((a, b) => a + b, 0);
    for (const [i, m] of result.members.entries()) expect(m.weight).toBeCloseTo(acc[i]! / total, 12);
  });

  it('--fuse -o writes one ONNX graph that passes the checker and scores like the members run separately', () => {
    const out = path.join(dir, 'ensemble.onnx');
    const run = shrinkray(['ensemble', ...files, '--data', 'mnist', '--aggregator', 'stacking', '--fuse', '-o', out, '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as Result;
    expect(result.files).toEqual([out]);
    expect(result.fused!.accuracy).toBe(result.ensemble.accuracy);
    expect(result.fused!.maxAbsDiff).toBeLessThan(1e-4);
    const check = execFileSync('/usr/bin/python3', ['-c', 'import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print("ok")', out], { encoding: 'utf8' });
    expect(check.trim()).toBe('ok');
    // The graph declares its output as probabilities (shrinkray.output_kind): eval scores what the report says, NLL included.
    const evalRun = shrinkray(['eval', out, '--data', 'mnist', '--json']);
    expect(evalRun.code, evalRun.stderr).toBe(0);
    const evaluated = JSON.parse(evalRun.stdout) as { accuracy: number; nll: number };
    expect(evaluated.accuracy).toBe(result.ensemble.accuracy);
    expect(evaluated.nll).toBeCloseTo(result.ensemble.nll, 4);
  });

  it('--weights picks the weighted aggregator and normalises the weights', () => {
    const run = shrinkray(['ensemble', ...files, '--data', 'mnist', '--weights', '1,1,2', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as Result;
    expect(result.aggregator).toBe('weighted');
    expect(result.members.map((m) => m.weight)).toEqual([0.25, 0.25, 0.5]);
  });

  it('--plugin registers an aggregator the command can use', () => {
    const ensembleDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/ensemble/dist/index.js');
    const plugin = path.join(dir, 'last-member.mjs');
    writeFileSync(
      plugin,
      [
        `import { aggregators, linearPool } from ${JSON.stringify(pathToFileURL(ensembleDist).href)};`,
        "aggregators.register({ name: 'last-member', description: 'the last member alone', requiresValidation: false,",
        "  fit: ({ numMembers, numClasses }) => linearPool('last-member', Array.from({ length: numMembers }, (_, i) => (i === numMembers - 1 ? 1 : 0)), numClasses) });",
      ].join('\n'),
    );
    const run = shrinkray(['--plugin', plugin, 'ensemble', ...files, '--data', 'mnist', '--aggregator', 'last-member', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as Result;
    expect(result.aggregator).toBe('last-member');
    expect(result.members.map((m) => m.weight)).toEqual([0, 0, 1]);
    expect(result.ensemble.accuracy).toBeCloseTo(accuracy(testProbs[2]!, testY), 10);
  });

  it('--plugin loads the example plugin package by name (and from shrinkray.config.json); its median matches a hand computation', () => {
    // Independent reference: per-class median of the three members' tfjs probabilities, renormalised.
    const median = new Float32Array(testProbs[0]!.length);
    for (let row = 0; row < testY.length; row++) {
      let sum = 0;
      for (let c = 0; c < 10; c++) {
        const v = testProbs.map((p) => p[row * 10 + c]!).sort((a, b) => a - b)[1]!;
        median[row * 10 + c] = v;
        sum += v;
      }
      for (let c = 0; c < 10; c++) median[row * 10 + c]! /= sum;
    }
    const cliDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    const byName = shrinkray(['ensemble', ...files, '--data', 'mnist', '--aggregator', 'median', '--plugin', '@shrinkray-examples/median-aggregator', '--json'], cliDir);
    expect(byName.stderr).toMatch(/^shrinkray: loaded plugin @shrinkray-examples\/median-aggregator from .*median-aggregator\/dist\/index\.js \(named by --plugin\)\n$/);
    const result = JSON.parse(byName.stdout) as Result;
    expect(result.aggregator).toBe('median');
    expect(result.ensemble.accuracy).toBeCloseTo(accuracy(median, testY), 10);
    // A project of the user's own: package.json, its node_modules, and shrinkray.config.json beside them.
    const project = tempDir('shrinkray-config-');
    writeFileSync(path.join(project, 'package.json'), '{"name": "user-project", "private": true}');
    mkdirSync(path.join(project, 'node_modules', '@shrinkray-examples'), { recursive: true });
    symlinkSync(path.join(cliDir, 'node_modules/@shrinkray-examples/median-aggregator'), path.join(project, 'node_modules/@shrinkray-examples/median-aggregator'));
    writeFileSync(path.join(project, 'shrinkray.config.json'), JSON.stringify({ plugins: ['@shrinkray-examples/median-aggregator'] }));
    const byConfig = shrinkray(['ensemble', ...files, '--data', 'mnist', '--aggregator', 'median', '--json'], project);
    expect(byConfig.code).toBe(0);
    expect(byConfig.stderr).toContain(`(named by ${path.join(project, 'shrinkray.config.json')})`);
    expect((JSON.parse(byConfig.stdout) as Result).ensemble.accuracy).toBe(result.ensemble.accuracy);
    const missing = shrinkray(['ensemble', ...files, '--data', 'mnist', '--plugin', '@shrinkray-examples/no-such-plugin'], cliDir);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^shrinkray: error: --plugin @shrinkray-examples\/no-such-plugin: package not found/);
  });

  it.each([
    [['--weights', '1,2'], /weights: expected 3 weights \(one per member\), found 2/],
    [['--weights', '1,-1,1'], /weight 1 \(member .*m1\/model\.json\) is -1; expected a non-negative number/],
    [['--aggregator', 'median'], /unknown aggregator "median"; registered: mean, weighted, accuracy-weighted, optimized, vote, geometric-mean, stacking/],
    [['--fuse'], /--fuse needs -o FILE\.onnx/],
  ])('bad input %j: one line on stderr, non-zero exit, no output file', (extra, message) => {
    const outDir = tempDir('shrinkray-ensemble-bad-');
    const args = ['ensemble', ...files, '--data', 'mnist', ...extra];
    if (!extra.includes('--fuse')) args.push('-o', path.join(outDir, 'out.json'));
    const run = shrinkray(args);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('names the member whose class count differs', async () => {
    const odd = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [28, 28, 1] }), tfl.layers.dense({ units: 5, activation: 'softmax' })] });
    const [oddJson] = await saveTfjsModel(odd, path.join(dir, 'five-classes'));
    const run = shrinkray(['ensemble', files[0]!, oddJson!, '--data', 'mnist']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/ensemble member 1 \(.*five-classes\/model\.json\): class count: expected 10 .*found 5/);
  });

  it('refuses a label 12 in the training split of 10-class members (the check every command shares), writing nothing', () => {
    const images = (n: number) => encodeIdx({ dtype: 'uint8', shape: [n, 28, 28], data: new Uint8Array(n * 784).fill(7) });
    const labels = (values: number[]) => encodeIdx({ dtype: 'uint8', shape: [values.length], data: Uint8Array.from(values) });
    const spec = ['train-x', 'train-y', 'test-x', 'test-y'].map((name) => path.join(dir, `label12-${name}.idx`));
    writeFileSync(spec[0]!, images(4));
    writeFileSync(spec[1]!, labels([0, 12, 3, 9]));
    writeFileSync(spec[2]!, images(2));
    writeFileSync(spec[3]!, labels([1, 2]));
    const out = path.join(dir, 'label12.json');
    const run = shrinkray(['ensemble', files[0]!, files[1]!, '--data', `idx:${spec.join(',')}`, '--aggregator', 'stacking', '-o', out]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    // loadIdxDatasets gives both splits the classes of the larger label (13), so the first split checked names it.
    expect(run.stderr).toMatch(/idx\/(train|test): the data has 13 classes but model .* outputs 10/);
    expect(readdirSync(dir)).not.toContain('label12.json');
  });
});
