import { initBackend, MaskedMeanPooling1D, Rng, Tensor, tf, tfl } from '@shrinkray/tensor-core';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeOnnx } from '../io.js';
import { checkOnnx } from '../onnx-checker.test.util.js';
import { maxAbsDiff, randomizeWeights } from '../testing.test.util.js';
import { OnnxTextModel } from '../text-model.js';
import { UnsupportedOpError } from '../errors/unsupported-op-error.js';
import { importOnnx } from '../import/import-onnx.js';
import { exportTfjs } from './export-tfjs.js';

beforeAll(async () => {
  await initBackend();
});

const VOCAB = 40;
const L = 10;
const PAD = 0;

/** Token ids with a random number of real tokens per row (row 0: all padding, row 1: no padding). */
function randomIds(rows: number, seed: number): Tensor<'int32'> {
  const rng = new Rng(seed);
  const data = new Int32Array(rows * L).fill(PAD);
  for (let r = 0; r < rows; r++) {
    const len = r === 0 ? 0 : r === 1 ? L : 1 + Math.floor(rng.next() * L);
    for (let t = 0; t < len; t++) data[r * L + t] = 1 + Math.floor(rng.next() * (VOCAB - 1));
  }
  return new Tensor('int32', [rows, L], data);
}

async function tfjsLogits(model: tfl.LayersModel, ids: Tensor<'int32'>): Promise<Float32Array> {
  const x = tf.tensor(ids.data, [...ids.shape], 'int32');
  const y = model.predict(x) as tf.Tensor;
  const out = (await y.data()) as Float32Array;
  x.dispose();
  y.dispose();
  return out;
}

async function ortLogits(bytes: Uint8Array, ids: Tensor<'int32'>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const input = session.inputNames[0]!;
    const out = await session.run({ [input]: new ort.Tensor('int32', ids.data, [...ids.shape]) });
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function bag(dense?: number): tfl.LayersModel {
  const input = tfl.input({ shape: [L], dtype: 'int32', name: 'input_ids' });
  const emb = tfl.layers.embedding({ inputDim: VOCAB, outputDim: 8, name: 'embedding' }).apply(input) as tfl.SymbolicTensor;
  let h = new MaskedMeanPooling1D({ padId: PAD, name: 'pool' }).apply([emb, input]) as tfl.SymbolicTensor;
  if (dense) h = tfl.layers.dense({ units: dense, activation: 'relu', name: 'dense' }).apply(h) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 5, name: 'logits' }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

function cnn(conv: Partial<{ padding: 'same' | 'valid'; strides: number; dilationRate: number; kernelSize: number }>, pool: 'max' | 'avg'): tfl.LayersModel {
  const input = tfl.input({ shape: [L], dtype: 'int32', name: 'input_ids' });
  let h = tfl.layers.embedding({ inputDim: VOCAB, outputDim: 6 }).apply(input) as tfl.SymbolicTensor;
  h = tfl.layers.conv1d({ filters: 7, kernelSize: conv.kernelSize ?? 3, padding: conv.padding ?? 'same', strides: conv.strides ?? 1, dilationRate: conv.dilationRate ?? 1, activation: 'relu' }).apply(h) as tfl.SymbolicTensor;
  h = (pool === 'max' ? tfl.layers.globalMaxPooling1d({}) : tfl.layers.globalAveragePooling1d({})).apply(h) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 5 }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

const exported: Uint8Array[] = [];

async function check(label: string, model: tfl.LayersModel, seed: number): Promise<void> {
  randomizeWeights(model, seed);
  const ids = randomIds(9, seed + 1);
  const onnx = await exportTfjs(model);
  expect(onnx.graph.input[0]!.type!.tensorType!.elemType, `${label}: int32 input`).toBe(6);
  const bytes = encodeOnnx(onnx);
  exported.push(bytes);
  const a = await tfjsLogits(model, ids);
  const b = await ortLogits(bytes, ids);
  expect(b.length).toBe(9 * 5);
  expect(maxAbsDiff(a, b), label).toBeLessThan(1e-4);
}

describe('text layers: tfjs and ORT agree after export', () => {
  it('MaskedMeanPooling1D matches a hand-computed masked mean', async () => {
    const input = tfl.input({ shape: [3], dtype: 'int32' });
    const emb = tfl.layers.embedding({ inputDim: 4, outputDim: 2, embeddingsInitializer: 'zeros' }).apply(input) as tfl.SymbolicTensor;
    const pooled = new MaskedMeanPooling1D({ padId: 0 }).apply([emb, input]) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: pooled });
    model.layers[1]!.setWeights([tf.tensor2d([[100, 100], [1, 2], [3, 4], [5, 6]])]);
    const ids = new Tensor('int32', [3, 3], Int32Array.from([1, 3, 0, 0, 0, 0, 2, 2, 3]));
    // Row 0: mean of rows 1 and 3 = (3, 4); row 1: all padding → 0; row 2: (3+3+5)/3, (4+4+6)/3.
    const expected = [3, 4, 0, 0, 11 / 3, 14 / 3];
    const a = await tfjsLogits(model, ids);
    const b = await ortLogits(encodeOnnx(await exportTfjs(model)), ids);
    for (let i = 0; i < expected.length; i++) {
      expect(a[i]).toBeCloseTo(expected[i]!, 5);
      expect(b[i]).toBeCloseTo(expected[i]!, 5);
    }
  });

  it('Embedding + MaskedMeanPooling1D (+ Dense), fastText-style', async () => {
    await check('bag', bag(), 1);
    await check('bag/dense', bag(12), 2);
    // Pooling of vectors that do not come straight from an Embedding: the mask from Equal/Not/Cast.
    const input = tfl.input({ shape: [L], dtype: 'int32' });
    const emb = tfl.layers.embedding({ inputDim: VOCAB, outputDim: 8 }).apply(input) as tfl.SymbolicTensor;
    const projected = tfl.layers.dense({ units: 6, activation: 'tanh' }).apply(emb) as tfl.SymbolicTensor;
    const pooled = new MaskedMeanPooling1D({ padId: 3 }).apply([projected, input]) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 5 }).apply(pooled) as tfl.SymbolicTensor });
    const onnx = await exportTfjs(model);
    expect(onnx.graph.node.some((n) => n.opType === 'Equal')).toBe(true);
    await check('bag/projected', model, 7);
  });

  it('Embedding + Conv1D (same/valid, strides, dilation) + GlobalMax/AveragePooling1D', async () => {
    await check('cnn/same/max', cnn({}, 'max'), 3);
    await check('cnn/valid/avg', cnn({ padding: 'valid', kernelSize: 4 }, 'avg'), 4);
    await check('cnn/stride2', cnn({ padding: 'same', strides: 2 }, 'max'), 5);
    await check('cnn/dilation2', cnn({ padding: 'valid', dilationRate: 2 }, 'max'), 6);
  });

  it('OnnxTextModel runs an exported student (INT32 input_ids) like tfjs', async () => {
    const model = bag(6);
    randomizeWeights(model, 9);
    const onnx = await OnnxTextModel.create(encodeOnnx(await exportTfjs(model)), { name: 'bag' });
    const ids = randomIds(20, 10);
    expect(onnx.inputs).toEqual([{ name: 'input_ids', type: 'int32' }]);
    expect(onnx.inputShape).toEqual([null, L]);
    expect(onnx.numClasses).toBe(5);
    expect(maxAbsDiff((await onnx.predict(ids)).data, await tfjsLogits(model, ids))).toBeLessThan(1e-4);
    await onnx.dispose();
  });

  it('import: exported Embedding + Conv1D + 1-D pooling students come back as tfjs layers with the same outputs', async () => {
    for (const [label, model, seed] of [
      ['cnn/same/max', cnn({}, 'max'), 11],
      ['cnn/valid/avg', cnn({ padding: 'valid', kernelSize: 4 }, 'avg'), 12],
      ['cnn/dilation2', cnn({ padding: 'valid', dilationRate: 2 }, 'max'), 13],
    ] as const) {
      randomizeWeights(model, seed);
      const back = await importOnnx(await exportTfjs(model));
      expect(back.layers.map((l) => l.getClassName()).filter((c) => c !== 'InputLayer'), label).toEqual(model.layers.map((l) => l.getClassName()).filter((c) => c !== 'InputLayer'));
      const ids = randomIds(7, seed);
      expect(maxAbsDiff(await tfjsLogits(back, ids), await tfjsLogits(model, ids)), label).toBeLessThan(1e-5);
    }
  });

  it('import: text-bag students (masked mean with the mask looked up or compared) come back as MaskedMeanPooling1D with the same outputs', async () => {
    const input = tfl.input({ shape: [L], dtype: 'int32' });
    const emb = tfl.layers.embedding({ inputDim: VOCAB, outputDim: 8 }).apply(input) as tfl.SymbolicTensor;
    const projected = tfl.layers.dense({ units: 6, activation: 'tanh' }).apply(emb) as tfl.SymbolicTensor;
    const pooled = new MaskedMeanPooling1D({ padId: 3 }).apply([projected, input]) as tfl.SymbolicTensor;
    const compared = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 5 }).apply(pooled) as tfl.SymbolicTensor });
    for (const [label, model, seed] of [['bag', bag(), 21], ['bag/dense', bag(12), 22], ['bag/projected', compared, 23]] as const) {
      randomizeWeights(model, seed);
      const back = await importOnnx(await exportTfjs(model));
      expect(back.layers.map((l) => l.getClassName()).filter((c) => c !== 'InputLayer'), label).toEqual(model.layers.map((l) => l.getClassName()).filter((c) => c !== 'InputLayer'));
      expect((back.layers.find((l) => l.getClassName() === 'MaskedMeanPooling1D') as MaskedMeanPooling1D).padId, label).toBe(label === 'bag/projected' ? 3 : PAD);
      const ids = randomIds(9, seed);
      expect(maxAbsDiff(await tfjsLogits(back, ids), await tfjsLogits(model, ids)), label).toBeLessThan(1e-5);
    }
  });

  it('import: a masked mean whose count is not clamped at 1 is not this pattern (typed error naming the op)', async () => {
    const onnx = await exportTfjs(bag());
    const max = onnx.graph.node.find((n) => n.opType === 'Max')!;
    const one = onnx.graph.initializer.find((t) => t.name === max.input[1])!;
    one.rawData = new Uint8Array(new Float32Array([2]).buffer);
    await expect(importOnnx(onnx)).rejects.toThrow(UnsupportedOpError);
  });

  it('every exported text model passes the Python ONNX checker', () => {
    expect(exported.length).toBeGreaterThanOrEqual(6);
    expect(checkOnnx(exported)).toMatch(/^ok/);
  });
});
