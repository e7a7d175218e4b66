import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Dataset, evaluateModel, type Model, predictBatched, Tensor } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../mnist.js';
import { openData } from '../index.js';
import { makeFixtures } from './fixtures.test-helper.js';

const TRAIN = 100;
const TEST = 300;

/**
 * A fixed linear model: nearest class mean on 400 MNIST training digits, logits_c = x·m_c − |m_c|²/2.
 * Takes `[N, 784]` (any layout whose values are the 784 pixels in row-major order).
 */
function nearestMeanModel(x: Float32Array, y: Int32Array): Model {
  const means = new Float64Array(10 * 784);
  const counts = new Float64Array(10);
  for (let i = 0; i < y.length; i++) {
    counts[y[i]!]!++;
    for (let j = 0; j < 784; j++) means[y[i]! * 784 + j]! += x[i * 784 + j]!;
  }
  const bias = new Float64Array(10);
  for (let c = 0; c < 10; c++) {
    for (let j = 0; j < 784; j++) {
      means[c * 784 + j]! /= counts[c]!;
      bias[c]! -= means[c * 784 + j]! ** 2 / 2;
    }
  }
  return {
    name: 'nearest-mean',
    inputShape: [null, 784],
    numClasses: 10,
    dispose() {},
    async predict(input) {
      const n = input.shape[0]!;
      const out = new Float32Array(n * 10);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < 10; c++) {
          let s = bias[c]!;
          for (let j = 0; j < 784; j++) s += input.data[i * 784 + j]! * means[c * 784 + j]!;
          out[i * 10 + c] = s;
        }
      }
      return new Tensor('float32', [n, 10], out);
    },
  };
}

let dir = '';
let model: Model;
let reference: { accuracy: number; nll: number; logits: number[][] };

/** Each example's logits, keyed by the example's pixels (the formats may order examples differently). */
async function logitsByExample(ds: Dataset): Promise<Map<string, number[]>> {
  const x = await ds.read(Array.from({ length: ds.size }, (_, i) => i));
  const logits = await predictBatched(model, ds, { batchSize: 64 });
  const out = new Map<string, number[]>();
  for (let i = 0; i < ds.size; i++) {
    const key = Array.from(x.data.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255)).join(',');
    out.set(`${key}|${ds.labels[i]}`, [...logits.data.subarray(i * 10, (i + 1) * 10)]);
  }
  return out;
}

beforeAll(async () => {
  const { train, test } = await loadMnist();
  const raw = mkdtempSync(path.join(tmpdir(), 'shrinkray-raw-'));
  const bytes = (t: Tensor<'float32'>, n: number) => Uint8Array.from(t.data.subarray(0, n * 784), (v) => Math.round(v * 255));
  writeFileSync(path.join(raw, 'train-x.u8'), bytes(train.x, TRAIN));
  writeFileSync(path.join(raw, 'train-y.u8'), Uint8Array.from(train.y.subarray(0, TRAIN)));
  writeFileSync(path.join(raw, 'test-x.u8'), bytes(test.x, TEST));
  writeFileSync(path.join(raw, 'test-y.u8'), Uint8Array.from(test.y.subarray(0, TEST)));
  writeFileSync(path.join(raw, 'meta.json'), JSON.stringify({ train: TRAIN, test: TEST }));
  dir = makeFixtures('formats', raw);
  model = nearestMeanModel(train.x.data.subarray(TRAIN * 784, (TRAIN + 400) * 784), train.y.subarray(TRAIN, TRAIN + 400));
  const x = new Tensor('float32', [TEST, 784], test.x.data.slice(0, TEST * 784));
  const logits = await model.predict(x);
  const { evaluate } = await import('@shrinkray/tensor-core');
  const ev = evaluate(logits, test.y.slice(0, TEST));
  reference = { accuracy: ev.accuracy, nll: ev.nll, logits: [] };
});

describe('the same model scores the same on the same examples in every format', () => {
  it('IDX, npz, npy, CSV of flattened pixels and a PNG folder (written by numpy/PIL)', async () => {
    const f = (name: string) => path.join(dir, name);
    const specs: Record<string, string> = {
      idx: `idx:${f('train-images.idx')},${f('train-labels.idx')},${f('test-images.idx')},${f('test-labels.idx')}`,
      npz: `npz:${f('data.npz')}`,
      npy: `npy:${f('x_train.npy')},${f('y_train.npy')},${f('x_test.npy')},${f('y_test.npy')}`,
      csv: `csv:${f('train.csv')},${f('test.csv')}`,
      png: `images:${f('png')}`,
    };
    const rows: string[] = [];
    let first: Map<string, number[]> | null = null;
    for (const [format, spec] of Object.entries(specs)) {
      const { test } = await openData(spec, { inputShape: model.inputShape, labelColumn: 'digit' });
      expect(test.size, format).toBe(TEST);
      const ev = await evaluateModel(model, test, { batchSize: 64 });
      rows.push(`${format.padEnd(4)} accuracy ${ev.accuracy.toFixed(4)} nll ${ev.nll.toFixed(6)}`);
      expect(ev.accuracy, format).toBe(reference.accuracy);
      expect(ev.nll, format).toBeCloseTo(reference.nll, 10);
      const byExample = await logitsByExample(test);
      if (format === 'csv') expect(test.classNames).toEqual(Array.from({ length: 10 }, (_, i) => `d${i}`));
      else first ??= byExample;
      // Identical logits for the identical example (CSV labels are names, compare on pixels only).
      for (const [key, logits] of byExample) {
        const pixels = key.split('|')[0]!;
        const match = [...first!].find(([k]) => k.startsWith(`${pixels}|`));
        expect(match?.[1], `${format}: an example's logits`).toEqual(logits);
      }
    }
    console.log(`nearest-mean model on ${TEST} MNIST test digits:\n${rows.join('\n')}`);
    expect(reference.accuracy).toBeGreaterThan(0.6);
  });
});
