import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OnnxModel } from '@shrinkray/onnx-io';
import { ConfigError, DataError, Dataset, evaluate, Rng, softmax, Tensor } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type EnsembleEvent, ensemble } from './driver.js';
import { mixedMembers, randomImages } from './testing/members.test.util.js';

/** Labels from a fixed seeded draw, so the members are scored against something they cannot know. */
function labels(n: number, seed: number, classes = 10): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(classes));
}

let members: Awaited<ReturnType<typeof mixedMembers>>;
let train: Dataset;
let test: Dataset;
beforeAll(async () => {
  members = await mixedMembers(3);
  train = Dataset.fromArrays(randomImages(200, 1), labels(200, 2), { name: 'train', numClasses: 10 });
  test = Dataset.fromArrays(randomImages(60, 3), labels(60, 4), { name: 'test', numClasses: 10 });
});

describe('ensemble()', () => {
  it('scores members and the mean ensemble on the test split against hand-combined member outputs', async () => {
    const events: EnsembleEvent[] = [];
    const { model, report } = await ensemble({ models: members, data: { train, test }, onEvent: (e) => events.push(e) });
    expect(report.aggregator).toBe('mean');
    expect(report.validation).toBeNull();
    expect(report.members.map((m) => m.name)).toEqual(['mlp.json', 'cnn.json', 'linear_nchw.onnx']);
    // Independent reference: mean of the members' softmax outputs, scored by tensor-core's evaluate.
    const x = randomImages(60, 3);
    const probs = await Promise.all(members.map(async (m) => softmax(await m.predict(x))));
    const mean = new Tensor('float32', [60, 10], Float32Array.from(probs[0]!.data, (_, i) => (probs[0]!.data[i]! + probs[1]!.data[i]! + probs[2]!.data[i]!) / 3));
    const want = evaluate(mean, test.labels, { from: 'probabilities' });
    expect(report.ensemble.accuracy).toBe(want.accuracy);
    expect(report.ensemble.nll).toBeCloseTo(want.nll, 5);
    expect(report.members.map((m) => m.weight)).toEqual([1 / 3, 1 / 3, 1 / 3].map((w) => expect.closeTo(w, 12)));
    expect(events.at(-1)).toEqual({ type: 'done', report });
    expect(model.members).toBe(members);
  });

  it('carves a seeded validation split from train for a fitting aggregator, and writes the fused graph after checking it against JS', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ensemble-driver-'));
    const output = path.join(dir, 'ens.onnx');
    const { report } = await ensemble({ models: members, data: { train, test }, aggregator: 'accuracy-weighted', validationFraction: 0.25, seed: 5, fuse: true, output });
    // A quarter of the 200 training examples, stratified by class.
    expect(report.validation).toEqual({ samples: 50, fraction: 0.25 });
    expect(report.fused!.maxAbsDiff).toBeLessThan(1e-4);
    expect(report.fused!.accuracy).toBe(report.ensemble.accuracy);
    expect(report.files).toEqual([output]);
    const fused = await OnnxModel.create(output);
    expect(fused.numClasses).toBe(10);
    await fused.dispose();
  });

  it('writes a JSON description with the aggregator state', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ensemble-driver-'));
    const output = path.join(dir, 'ens.json');
    const { report } = await ensemble({ models: members, data: { test }, weights: [3, 1, 0], output });
    const written = JSON.parse(await readFile(output, 'utf8')) as { aggregator: string; aggregatorState: { weights: number[] } };
    expect(written.aggregator).toBe('weighted');
    expect(written.aggregatorState.weights).toEqual([0.75, 0.25, 0]);
    expect(report.files).toEqual([output]);
  });

  it('refuses a label 12 in a 10-class split (the Dataset layer check every driver shares), before any prediction', async () => {
    const y = labels(200, 2);
    y[17] = 12;
    const bad = Dataset.fromArrays(randomImages(200, 1), y, { name: 'idx/train' });
    const events: EnsembleEvent[] = [];
    const error = await ensemble({ models: members, data: { train: bad, test }, aggregator: 'stacking', onEvent: (e) => events.push(e) }).catch((e: unknown) => e);
    expect(DataError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/^idx\/train: the data has 13 classes but model mlp\.json outputs 10/);
    expect(events).toEqual([]);
    expect(() => Dataset.fromArrays(randomImages(200, 1), y, { name: 'idx/train', numClasses: 10 })).toThrow(/idx\/train, row 17: label 12 is outside \[0, 10\)/);
  });

  it('refuses a fitting aggregator without validation or training data, and a fused output that is not .onnx', async () => {
    await expect(ensemble({ models: members, data: { test }, aggregator: 'stacking' })).rejects.toThrow(/aggregator stacking is fitted on a validation split/);
    const error = await ensemble({ models: members, data: { test }, fuse: true, output: 'x.json' }).catch((e: unknown) => e);
    expect(ConfigError.isInstance(error)).toBe(true);
  });
});
