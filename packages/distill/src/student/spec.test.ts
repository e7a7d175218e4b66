import { initBackend, tf } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { StudentSpecError } from '../errors/student-spec-error.js';
import { buildStudent, countParams, parseStudentSpec } from './spec.js';

beforeAll(async () => {
  await initBackend();
});

describe('parseStudentSpec', () => {
  it('parses the docs/cli.md forms', () => {
    expect(parseStudentSpec('mlp:64')).toEqual({ kind: 'mlp', hidden: [64] });
    expect(parseStudentSpec('mlp:512,512')).toEqual({ kind: 'mlp', hidden: [512, 512] });
    expect(parseStudentSpec('cnn:16,32/64')).toEqual({ kind: 'cnn', channels: [16, 32], dense: 64 });
    expect(parseStudentSpec('cnn:8')).toEqual({ kind: 'cnn', channels: [8], dense: undefined });
  });

  it('rejects bad specs with StudentSpecError naming the spec', () => {
    for (const bad of ['mlp', 'mlp:', 'mlp:0', 'mlp:64,', 'mlp:1.5', 'mlp:-3', 'cnn:', 'cnn:8/', 'cnn:8/4/2', 'cnn:8/4,4', 'rnn:4', '']) {
      expect(() => parseStudentSpec(bad), bad).toThrow(StudentSpecError);
    }
    expect(() => parseStudentSpec('mlp:64,x')).toThrow("student spec 'mlp:64,x': hidden sizes must be positive integers, found 'x'");
  });
});

describe('buildStudent', () => {
  it('builds an MLP with the hand-counted parameters and logits output', () => {
    const m = buildStudent('mlp:64', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
    // 784·64 + 64 + 64·10 + 10
    expect(countParams(m)).toBe(784 * 64 + 64 + 64 * 10 + 10);
    expect(m.outputs[0]!.shape).toEqual([null, 10]);
    const m2 = buildStudent('mlp:800,800', { inputShape: [784], numClasses: 10, seed: 1 });
    expect(countParams(m2)).toBe(784 * 800 + 800 + 800 * 800 + 800 + 800 * 10 + 10);
  });

  it('builds a CNN: 3x3 same convs + 2x2 pools, optional dense', () => {
    const m = buildStudent('cnn:8,16/32', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
    // conv 1->8: 9·8+8; conv 8->16: 9·8·16+16; 28->14->7, flatten 7·7·16 = 784 -> 32: 784·32+32; 32·10+10
    expect(countParams(m)).toBe(9 * 8 + 8 + 9 * 8 * 16 + 16 + 784 * 32 + 32 + 32 * 10 + 10);
    const y = m.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor;
    expect(y.shape).toEqual([2, 10]);
    expect(() => buildStudent('cnn:8', { inputShape: [784], numClasses: 10, seed: 1 })).toThrow(/needs image input \[H, W, C\], found \[784\]/);
    expect(() => buildStudent('cnn:8,8,8,8,8,8', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 })).toThrow(/too many conv blocks/);
  });

  it('is seeded: the same seed gives the same weights, another seed others', () => {
    const a = buildStudent('mlp:16', { inputShape: [20], numClasses: 3, seed: 5 });
    const b = buildStudent('mlp:16', { inputShape: [20], numClasses: 3, seed: 5 });
    const c = buildStudent('mlp:16', { inputShape: [20], numClasses: 3, seed: 6 });
    const w = (m: typeof a) => Array.from(m.getWeights()[0]!.dataSync());
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
  });
});
