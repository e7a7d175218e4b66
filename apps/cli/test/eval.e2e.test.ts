import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadMnist } from '@shrinkray/datasets';
import { initBackend, saveTfjsModel, tf, tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { arrays } from './arrays.util.js';
import { shrinkray, tempDir } from './helpers.js';

let dir: string;
let modelJson: string;
let expectedAccuracy: number;
let expectedPerClass: number[];

beforeAll(async () => {
  await initBackend();
  dir = tempDir();
  const mnist = await loadMnist();
  const train = await arrays(mnist.train);
  const test = await arrays(mnist.test);
  const model = tfl.sequential({
    layers: [tfl.layers.flatten({ inputShape: [28, 28, 1] }), tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) })],
  });
  const x = train.x.sliceRows(0, 2000).toTfjs();
  const y = tf.oneHot(tf.tensor1d(train.y.subarray(0, 2000), 'int32'), 10);
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  await model.fit(x, y, { epochs: 3, batchSize: 100, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  // Independent reference: tfjs's own predictions on the test split.
  const predicted = tf.tidy(() => tf.argMax(model.predict(test.x.toTfjs()) as tf.Tensor, 1).dataSync());
  let correct = 0;
  for (let i = 0; i < test.y.length; i++) if (predicted[i] === test.y[i]) correct++;
  expectedAccuracy = correct / test.y.length;
  const right = new Array<number>(10).fill(0);
  const seen = new Array<number>(10).fill(0);
  for (let i = 0; i < test.y.length; i++) {
    seen[test.y[i]!]!++;
    if (predicted[i] === test.y[i]) right[test.y[i]!]!++;
  }
  expectedPerClass = right.map((r, c) => r / seen[c]!);
  modelJson = (await saveTfjsModel(model, path.join(dir, 'model')))[0]!;
});

describe('shrinkray eval', () => {
  it('prints exactly one JSON object whose accuracy matches tfjs on the test split', () => {
    const run = shrinkray(['eval', modelJson, '--data', 'mnist', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { accuracy: number; nll: number; ece: number; samples: number; classes: { name: string; accuracy: number }[] };
    expect(result.samples).toBe(2000);
    // Classes by name (MNIST's are the digits), each with its accuracy from tfjs's own predictions.
    expect(result.classes.map((c) => c.name)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    for (const [c, expected] of expectedPerClass.entries()) expect(result.classes[c]!.accuracy).toBeCloseTo(expected, 10);
    expect(result.accuracy).toBeCloseTo(expectedAccuracy, 10);
    expect(result.accuracy).toBeGreaterThan(0.8);
    expect(result.nll).toBeGreaterThan(0);
    expect(result.ece).toBeGreaterThanOrEqual(0);
    expect(result.ece).toBeLessThan(1);
  });

  it('takes the tfjs model folder for its model.json (a folder is not mistaken for a transformers.js text model)', () => {
    const run = shrinkray(['eval', path.dirname(modelJson), '--data', 'mnist', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { accuracy: number }).accuracy).toBeCloseTo(expectedAccuracy, 10);
  });

  it('prints a human summary without --json', () => {
    const run = shrinkray(['eval', modelJson, '--data', 'mnist']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/accuracy\s+\d+\.\d\d%/);
  });

  it.each([
    [['eval', 'missing/model.json', '--data', 'mnist'], /missing\/model\.json: no such file/],
    [['eval', '__MODEL__', '--data', 'imagenet'], /imagenet/],
    [['eval', '__BROKEN__', '--data', 'mnist'], /broken\.json/],
  ])('bad input %j: one line on stderr, non-zero exit, no stack', (args, message) => {
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"not": "a model"');
    const run = shrinkray(args.map((a) => (a === '__MODEL__' ? modelJson : a === '__BROKEN__' ? broken : a)));
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a model whose class count differs from the data', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [28, 28, 1] }), tfl.layers.dense({ units: 5 })] });
    const [five] = await saveTfjsModel(model, path.join(dir, 'five'));
    const run = shrinkray(['eval', five!, '--data', 'mnist', '--json']);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/mnist\/test: the data has 10 classes but model .*five.*model.json outputs 5/);
  });

  it('answers --version and --help', () => {
    expect(shrinkray(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = shrinkray(['eval', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--data <spec>');
    expect(readdirSync(dir)).not.toContain('partial');
  });
});
