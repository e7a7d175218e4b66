import { initBackend, tf } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { StudentSpecError } from '../errors/student-spec-error.js';
import { buildStudent, countParams, parseStudentSpec } from './spec.js';
import { buildTextStudent, parseTextStudentSpec } from './text.js';

beforeAll(async () => {
  await initBackend();
});

const opts = { sequenceLength: 16, vocabSize: 100, padId: 0, numClasses: 8, seed: 1 };

describe('text student specs', () => {
  it('parses text-bag:E[/D] and text-cnn:E,C[/D]', () => {
    expect(parseTextStudentSpec('text-bag:32')).toEqual({ kind: 'text-bag', embedding: 32, dense: undefined });
    expect(parseTextStudentSpec('text-bag:32/16')).toEqual({ kind: 'text-bag', embedding: 32, dense: 16 });
    expect(parseTextStudentSpec('text-cnn:24,48/12')).toEqual({ kind: 'text-cnn', embedding: 24, channels: 48, dense: 12 });
    expect(parseTextStudentSpec('mlp:64')).toBeUndefined();
    for (const bad of ['text-bag:', 'text-bag:0', 'text-bag:3,4', 'text-cnn:32', 'text-cnn:8,8/4/2', 'text-bag:x']) {
      expect(() => parseTextStudentSpec(bad), bad).toThrow(StudentSpecError);
    }
  });

  it('builds the layers the spec names, with hand-counted parameters', () => {
    // Embedding 100*32, dense 32*16+16, logits 16*8+8.
    expect(countParams(buildTextStudent('text-bag:32/16', opts))).toBe(100 * 32 + 32 * 16 + 16 + 16 * 8 + 8);
    // Embedding 100*24, conv 3*24*48+48, logits 48*8+8.
    expect(countParams(buildTextStudent('text-cnn:24,48', opts))).toBe(100 * 24 + 3 * 24 * 48 + 48 + 48 * 8 + 8);
    const layers = buildTextStudent('text-cnn:24,48/12', opts).layers.map((l) => l.getClassName());
    expect(layers).toEqual(['InputLayer', 'Embedding', 'Conv1D', 'GlobalMaxPooling1D', 'Dense', 'Dense']);
  });

  it('the same seed gives the same weights; padding does not move a text-bag prediction', async () => {
    const a = buildTextStudent('text-bag:8', opts);
    const b = buildTextStudent('text-bag:8', opts);
    const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
    expect(b.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(wa);
    const short = tf.tensor2d([[5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]], [1, 16], 'int32');
    const repeated = tf.tensor2d([[5, 6, 7, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]], [1, 16], 'int32');
    // The masked mean of (5,6,7) and of (5,6,7,5,6,7) is the same vector.
    const ya = (a.predict(short) as tf.Tensor).dataSync();
    const yb = (a.predict(repeated) as tf.Tensor).dataSync();
    for (let i = 0; i < ya.length; i++) expect(yb[i]).toBeCloseTo(ya[i]!, 5);
  });

  it('buildStudent dispatches text specs and needs the tokenizer', () => {
    expect(() => buildStudent('text-bag:8', { inputShape: [16], numClasses: 8, seed: 1 })).toThrow(/tokenizer/);
    expect(() => buildStudent('text-bag:8', { inputShape: [4, 4], numClasses: 8, seed: 1, text: { vocabSize: 10, padId: 0 } })).toThrow(/token-id input/);
    expect(() => buildTextStudent('text-bag:8', { ...opts, padId: 100 })).toThrow(/pad id/);
    expect(buildStudent('text-bag:8', { inputShape: [16], numClasses: 8, seed: 1, text: { vocabSize: 10, padId: 0 } }).outputs[0]!.shape).toEqual([null, 8]);
    expect(() => parseStudentSpec('text-rnn:4')).toThrow(/text-bag/);
  });

  it('parses and builds text-transformer:L,H,E with hand-counted parameters', () => {
    expect(parseTextStudentSpec('text-transformer:2,2,32')).toEqual({ kind: 'text-transformer', layers: 2, heads: 2, width: 32 });
    for (const bad of ['text-transformer:2,2', 'text-transformer:2,3,32', 'text-transformer:0,2,32', 'text-transformer:2,2,32/8']) {
      expect(() => parseTextStudentSpec(bad), bad).toThrow(StudentSpecError);
    }
    const [E, V, L, C] = [8, 100, 16, 8];
    // Token table, position table; per block: 2 layer norms, 4 attention projections, FFN E->2E->E;
    // final layer norm; logits.
    const block = 2 * 2 * E + 4 * (E * E + E) + (E * 2 * E + 2 * E) + (2 * E * E + E);
    const model = buildTextStudent('text-transformer:2,2,8', opts);
    expect(countParams(model)).toBe(V * E + L * E + 2 * block + 2 * E + E * C + C);
    expect(model.layers.map((l) => l.getClassName()).filter((c, i, a) => a.indexOf(c) === i)).toEqual([
      'InputLayer', 'Embedding', 'PositionEmbedding', 'LayerNormalization', 'MultiHeadSelfAttention', 'Add', 'Dense', 'MaskedMeanPooling1D',
    ]);
    // Same seed, same weights; padding does not move a prediction (keys masked, mean over real tokens).
    const again = buildTextStudent('text-transformer:2,2,8', opts);
    expect(again.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(model.getWeights().map((w) => Array.from(w.dataSync())));
    const ids = [5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const withPad = (model.predict(tf.tensor2d([ids], [1, 16], 'int32')) as tf.Tensor).dataSync();
    // A different id in padded slots that are then masked: the output must not change.
    const otherPadModel = buildTextStudent('text-transformer:2,2,8', { ...opts, padId: 9 });
    otherPadModel.setWeights(model.getWeights());
    const otherPad = (otherPadModel.predict(tf.tensor2d([ids.map((t) => (t === 0 ? 9 : t))], [1, 16], 'int32')) as tf.Tensor).dataSync();
    // The padded slots now hold token 9 (another embedding); attention and pooling ignore them.
    for (let i = 0; i < withPad.length; i++) expect(otherPad[i]).toBeCloseTo(withPad[i]!, 5);
  });
});
