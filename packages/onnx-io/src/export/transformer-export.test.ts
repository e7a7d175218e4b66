import { initBackend, MaskedMeanPooling1D, MultiHeadSelfAttention, PositionEmbedding, Rng, Tensor, tf, tfl } from '@shrinkray/tensor-core';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../errors/unsupported-op-error.js';
import { importOnnx } from '../import/import-onnx.js';
import { encodeOnnx } from '../io.js';
import { checkOnnx } from '../onnx-checker.test.util.js';
import { registerOnnxIoBuiltins } from '../register.js';
import { maxAbsDiff, randomizeWeights } from '../testing.test.util.js';
import { OnnxTextModel } from '../text-model.js';
import { exportTfjs } from './export-tfjs.js';

beforeAll(async () => {
  await initBackend();
  registerOnnxIoBuiltins();
});

const VOCAB = 50;
const L = 12;

/** Ids with 0..L real tokens per row (row 0 all padding, row 1 none). */
function randomIds(rows: number, seed: number, pad: number): Tensor<'int32'> {
  const rng = new Rng(seed);
  const data = new Int32Array(rows * L).fill(pad);
  for (let r = 0; r < rows; r++) {
    const len = r === 0 ? 0 : r === 1 ? L : 1 + Math.floor(rng.next() * L);
    for (let t = 0; t < len; t++) data[r * L + t] = (pad + 1 + Math.floor(rng.next() * (VOCAB - 1))) % VOCAB;
  }
  return new Tensor('int32', [rows, L], data);
}

/** A pre- or post-LN encoder of `blocks` blocks (width E, H heads, feed-forward 2E ReLU), masked mean, logits. */
function encoder(blocks: number, heads: number, width: number, pad: number, preLn: boolean): tfl.LayersModel {
  const input = tfl.input({ shape: [L], dtype: 'int32', name: 'input_ids' });
  let h = tfl.layers.embedding({ inputDim: VOCAB, outputDim: width }).apply(input) as tfl.SymbolicTensor;
  h = new PositionEmbedding({ seed: 1 }).apply(h) as tfl.SymbolicTensor;
  const ln = (x: tfl.SymbolicTensor) => tfl.layers.layerNormalization({ epsilon: 1e-5 }).apply(x) as tfl.SymbolicTensor;
  for (let b = 0; b < blocks; b++) {
    const a = new MultiHeadSelfAttention({ heads, padId: pad, seed: 2 }).apply([preLn ? ln(h) : h, input]) as tfl.SymbolicTensor;
    h = tfl.layers.add().apply([h, a]) as tfl.SymbolicTensor;
    if (!preLn) h = ln(h);
    let f = tfl.layers.dense({ units: 2 * width, activation: 'relu' }).apply(preLn ? ln(h) : h) as tfl.SymbolicTensor;
    f = tfl.layers.dense({ units: width }).apply(f) as tfl.SymbolicTensor;
    h = tfl.layers.add().apply([h, f]) as tfl.SymbolicTensor;
    if (!preLn) h = ln(h);
  }
  if (preLn) h = ln(h);
  const pooled = new MaskedMeanPooling1D({ padId: pad }).apply([h, input]) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 4 }).apply(pooled) as tfl.SymbolicTensor });
}

function tfjsLogits(model: tfl.LayersModel, ids: Tensor<'int32'>): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(ids.data, [...ids.shape], 'int32')) as tf.Tensor).dataSync() as Float32Array);
}

async function ortLogits(bytes: Uint8Array, ids: Tensor<'int32'>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('int32', ids.data, [...ids.shape]) });
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** text-bag: embedding, masked mean (mask looked up by Gather), logits. */
function bagModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [L], dtype: 'int32', name: 'input_ids' });
  const emb = tfl.layers.embedding({ inputDim: VOCAB, outputDim: 8 }).apply(input) as tfl.SymbolicTensor;
  const pooled = new MaskedMeanPooling1D({ padId: 0 }).apply([emb, input]) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 4 }).apply(pooled) as tfl.SymbolicTensor });
}

const classes = (m: tfl.LayersModel) => m.layers.map((l) => l.getClassName()).filter((c) => c !== 'InputLayer');

describe('transformer text encoders: export to ONNX and import back', () => {
  const exported: Uint8Array[] = [];
  const cases = [
    ['pre-LN 2x2x16', 2, 2, 16, 0, true, 31],
    ['post-LN 1x4x8, pad 7', 1, 4, 8, 7, false, 32],
    ['pre-LN 1x1x12', 1, 1, 12, 0, true, 33],
  ] as const;

  it('tfjs and ORT agree within 1e-4 (padded rows, an all-padding row, a full row)', async () => {
    for (const [label, blocks, heads, width, pad, preLn, seed] of cases) {
      const model = encoder(blocks, heads, width, pad, preLn);
      randomizeWeights(model, seed);
      const onnx = await exportTfjs(model);
      const ops = new Set(onnx.graph.node.map((n) => n.opType));
      for (const op of ['Gather', 'LayerNormalization', 'MatMul', 'Reshape', 'Transpose', 'Softmax', 'Where', 'Equal']) expect(ops.has(op), `${label}: ${op}`).toBe(true);
      const bytes = encodeOnnx(onnx);
      exported.push(bytes);
      const ids = randomIds(10, seed, pad);
      expect(maxAbsDiff(tfjsLogits(model, ids), await ortLogits(bytes, ids)), label).toBeLessThan(1e-4);
    }
  });

  it('import gives the same layers and the same outputs', async () => {
    for (const [label, blocks, heads, width, pad, preLn, seed] of cases) {
      const model = encoder(blocks, heads, width, pad, preLn);
      randomizeWeights(model, seed);
      const back = await importOnnx(await exportTfjs(model));
      expect(classes(back).sort(), label).toEqual(classes(model).sort());
      const attention = back.layers.find((l) => l instanceof MultiHeadSelfAttention) as MultiHeadSelfAttention;
      expect([attention.heads, attention.padId], label).toEqual([heads, pad]);
      const ids = randomIds(10, seed + 100, pad);
      expect(maxAbsDiff(tfjsLogits(back, ids), tfjsLogits(model, ids)), label).toBeLessThan(1e-5);
    }
  });

  it('an attention graph with a different score scale is not this pattern: a typed error', async () => {
    const onnx = await exportTfjs(encoder(1, 2, 8, 0, true));
    const mul = onnx.graph.node.find((n) => n.opType === 'Mul' && n.name?.includes('scores'))!;
    const scale = onnx.graph.initializer.find((t) => t.name === mul.input[1])!;
    scale.rawData = new Uint8Array(new Float32Array([0.1]).buffer);
    await expect(importOnnx(onnx)).rejects.toThrow(UnsupportedOpError);
  });

  it('integerInputs int64: input_ids as Hugging Face models take them; ORT on int64 ids, OnnxTextModel and import agree with tfjs', async () => {
    for (const model of [encoder(1, 2, 8, 0, true), bagModel()]) {
      randomizeWeights(model, 41);
      const onnx = await exportTfjs(model, { integerInputs: 'int64' });
      expect(onnx.graph.input[0]!.type!.tensorType!.elemType).toBe(7);
      const bytes = encodeOnnx(onnx);
      exported.push(bytes);
      const ids = randomIds(6, 42, 0);
      const session = await ort.InferenceSession.create(bytes);
      const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('int64', BigInt64Array.from(ids.data, (v) => BigInt(v)), [...ids.shape]) });
      await session.release();
      const expected = tfjsLogits(model, ids);
      expect(maxAbsDiff(out[session.outputNames[0]!]!.data as Float32Array, expected)).toBeLessThan(1e-4);
      const text = await OnnxTextModel.create(bytes, { name: 'int64' });
      expect(text.inputs).toEqual([{ name: 'input_ids', type: 'int64' }]);
      expect(maxAbsDiff((await text.predict(ids)).data, expected)).toBeLessThan(1e-4);
      await text.dispose();
      const back = await importOnnx(onnx);
      expect(back.inputs[0]!.dtype).toBe('int32');
      expect(maxAbsDiff(tfjsLogits(back, ids), expected)).toBeLessThan(1e-5);
    }
  });

  it('the exported models pass the Python ONNX checker', () => {
    expect(exported.length).toBe(cases.length + 2);
    expect(checkOnnx(exported)).toMatch(/^ok/);
  });
});
