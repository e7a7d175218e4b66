import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { Dataset } from '../data/dataset.js';
import { ConfigError } from '../errors/config-error.js';
import { Tensor } from '../tensor.js';
import { train } from '../training/train.js';
import { ATTENTION_PROJECTIONS, MultiHeadSelfAttention } from './multi-head-self-attention.js';
import { PositionEmbedding } from './position-embedding.js';
import { registerWasmSegmentSum } from './wasm-segment-sum.js';

beforeAll(async () => {
  await initBackend();
  registerWasmSegmentSum();
});

const [N, L, E, H, PAD] = [2, 5, 8, 2, 0];
const ids = [
  [4, 7, 2, 0, 0],
  [3, 3, 9, 1, 6],
];

function rand(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

/** Attention written with plain loops over nested arrays: the reference for the tfjs layer. */
function referenceAttention(x: number[][][], w: { kernel: number[]; bias: number[] }[]): number[][][] {
  const proj = (v: number[], p: number): number[] => Array.from({ length: E }, (_, o) => v.reduce((s, vi, i) => s + vi * w[p]!.kernel[i * E + o]!, w[p]!.bias[o]!));
  const d = E / H;
  return x.map((seq, b) => {
    const q = seq.map((v) => proj(v, 0));
    const k = seq.map((v) => proj(v, 1));
    const v = seq.map((row) => proj(row, 2));
    const merged = seq.map(() => new Array<number>(E).fill(0));
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < L; i++) {
        const scores = k.map((kj, j) => {
          if (ids[b]![j] === PAD) return Number.NEGATIVE_INFINITY;
          let s = 0;
          for (let c = 0; c < d; c++) s += q[i]![h * d + c]! * kj[h * d + c]!;
          return s / Math.sqrt(d);
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, c) => a + c, 0);
        for (let j = 0; j < L; j++) for (let c = 0; c < d; c++) merged[i]![h * d + c]! += (e[j]! / z) * v[j]![h * d + c]!;
      }
    }
    return merged.map((m) => proj(m, 3));
  });
}

function attentionModel(): tfl.LayersModel {
  const x = tfl.input({ shape: [L, E], name: 'x' });
  const t = tfl.input({ shape: [L], dtype: 'int32', name: 'ids' });
  const y = new MultiHeadSelfAttention({ heads: H, padId: PAD, seed: 3, name: 'mhsa' }).apply([x, t]) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [x, t], outputs: y });
}

describe('MultiHeadSelfAttention', () => {
  it('equals attention written with loops, padded keys excluded', () => {
    const model = attentionModel();
    const weights = ATTENTION_PROJECTIONS.flatMap((_, p) => [rand(E * E, 10 + p), rand(E, 20 + p)]);
    model.setWeights(weights.map((w, i) => (i % 2 === 0 ? tf.tensor2d(w, [E, E]) : tf.tensor1d(w))));
    const xs = rand(N * L * E, 7);
    const out = (model.predict([tf.tensor3d(xs, [N, L, E]), tf.tensor2d(ids, [N, L], 'int32')]) as tf.Tensor).arraySync() as number[][][];
    const nested = [0, 1].map((b) => Array.from({ length: L }, (_, i) => xs.slice((b * L + i) * E, (b * L + i + 1) * E)));
    const ref = referenceAttention(nested, ATTENTION_PROJECTIONS.map((_, p) => ({ kernel: weights[2 * p]!, bias: weights[2 * p + 1]! })));
    for (let b = 0; b < N; b++) for (let i = 0; i < L; i++) for (let c = 0; c < E; c++) expect(out[b]![i]![c]).toBeCloseTo(ref[b]![i]![c]!, 5);
  });

  it('round-trips through model.json with its config and weights', async () => {
    const model = attentionModel();
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    const layer = loaded.getLayer('mhsa') as MultiHeadSelfAttention;
    expect(layer.getClassName()).toBe('MultiHeadSelfAttention');
    expect([layer.heads, layer.padId]).toEqual([H, PAD]);
    const input = [tf.tensor3d(rand(N * L * E, 1), [N, L, E]), tf.tensor2d(ids, [N, L], 'int32')];
    expect((loaded.predict(input) as tf.Tensor).arraySync()).toEqual((model.predict(input) as tf.Tensor).arraySync());
  });

  it('rejects a width that the heads do not divide', () => {
    const x = tfl.input({ shape: [L, 6] });
    const t = tfl.input({ shape: [L], dtype: 'int32' });
    expect(() => new MultiHeadSelfAttention({ heads: 4, padId: 0, name: 'att' }).apply([x, t])).toThrow(/layer att: width 6 is not divisible by 4 heads/);
    expect(() => new MultiHeadSelfAttention({ heads: 0, padId: 0 })).toThrow(ConfigError);
  });
});

describe('a small transformer classifier', () => {
  it('trains with train() on the active backend: loss falls on a task that needs position and attention', async () => {
    // Label = whether token 5 comes before token 6 in the sequence: bag-of-words cannot tell.
    const rows = 256;
    const x = new Int32Array(rows * L);
    const y = new Int32Array(rows);
    const r = rand(rows * 4, 99);
    for (let i = 0; i < rows; i++) {
      const a = Math.floor((r[4 * i]! + 0.5) * L);
      let b = Math.floor((r[4 * i + 1]! + 0.5) * (L - 1));
      if (b >= a) b++;
      for (let t = 0; t < L; t++) x[i * L + t] = 1 + Math.floor((r[4 * i + 2]! + 0.5) * 3 + t) % 3;
      x[i * L + a] = 5;
      x[i * L + b] = 6;
      y[i] = a < b ? 1 : 0;
    }
    const input = tfl.input({ shape: [L], dtype: 'int32' });
    let h = tfl.layers.embedding({ inputDim: 8, outputDim: E, embeddingsInitializer: tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 1 }) }).apply(input) as tfl.SymbolicTensor;
    h = new PositionEmbedding({ seed: 2 }).apply(h) as tfl.SymbolicTensor;
    const attended = new MultiHeadSelfAttention({ heads: H, padId: PAD, seed: 3 }).apply([tfl.layers.layerNormalization().apply(h) as tfl.SymbolicTensor, input]) as tfl.SymbolicTensor;
    h = tfl.layers.add().apply([h, attended]) as tfl.SymbolicTensor;
    h = tfl.layers.flatten().apply(h) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }).apply(h) as tfl.SymbolicTensor });
    const data = Dataset.fromArrays(new Tensor('int32', [rows, L], x), y);
    const { history } = await train({ model, data, optimizer: { name: 'adam', learningRate: 0.02 }, epochs: 12, batchSize: 32, seed: 1 });
    const first = history.epochs[0]!;
    const last = history.epochs[history.epochs.length - 1]!;
    expect(last.loss).toBeLessThan(first.loss * 0.5);
    expect(last.accuracy).toBeGreaterThan(0.9);
    expect(tf.getBackend()).toBe('wasm');
  }, 60_000);
});
