import { initBackend, klDivergence, Rng, Tensor, tf } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { additiveLoss, hardTargetLoss, hintonLoss, softTargetLoss } from './kd.js';

beforeAll(async () => {
  await initBackend();
});

const ln = Math.log;
const t2 = (rows: number[][]) => tf.tensor2d(rows, undefined, 'float32');
const labels = (ys: number[]) => tf.tensor1d(ys, 'int32');
const value = (s: tf.Scalar): number => {
  const v = s.dataSync()[0]!;
  s.dispose();
  return v;
};

// Hand-computed references. Teacher t = [ln 3, 0] gives p = [3/4, 1/4] at τ = 1.
// Student row 1: s = [ln 2, 0] -> q = [2/3, 1/3]; row 2: s = [0, 0] -> q = [1/2, 1/2].
const KL1 = 0.75 * ln(0.75 / (2 / 3)) + 0.25 * ln(0.25 / (1 / 3)); // = 3/4 ln(9/8) + 1/4 ln(3/4)
const KL2 = 0.75 * ln(1.5) + 0.25 * ln(0.5);
// τ = 2: p = softmax([ln3/2, 0]) = [√3/(1+√3), 1/(1+√3)], q(row 2) = [1/2, 1/2].
const P2 = Math.sqrt(3) / (1 + Math.sqrt(3));
const KL2_T2 = P2 * ln(2 * P2) + (1 - P2) * ln(2 * (1 - P2));

describe('softTargetLoss', () => {
  it('is τ²·KL(p‖q) averaged over rows (hand-computed, τ = 1)', () => {
    expect(KL2).toBeCloseTo(0.1308120, 6);
    const v = value(softTargetLoss(t2([[ln(2), 0], [0, 0]]), t2([[ln(3), 0], [ln(3), 0]]), 1));
    expect(v).toBeCloseTo((KL1 + KL2) / 2, 6);
  });

  it('multiplies by τ² (τ = 2: 4·KL at the softened distributions)', () => {
    expect(KL2_T2).toBeCloseTo(0.0363408, 6);
    const v = value(softTargetLoss(t2([[0, 0]]), t2([[ln(3), 0]]), 2));
    expect(v).toBeCloseTo(4 * KL2_T2, 6);
  });

  it('is 0 when student and teacher agree, for any τ', () => {
    for (const T of [0.5, 1, 4, 20]) expect(Math.abs(value(softTargetLoss(t2([[1, -2, 3]]), t2([[1, -2, 3]]), T)))).toBeLessThan(1e-6);
  });

  it('matches tensor-core klDivergence (float64 reference) × τ² on random logits', () => {
    const rng = new Rng(7);
    const n = 16;
    const c = 10;
    const s = Float32Array.from({ length: n * c }, () => rng.normal() * 5);
    const t = Float32Array.from({ length: n * c }, () => rng.normal() * 5);
    for (const T of [1, 3, 10]) {
      const ref = T * T * klDivergence(new Tensor('float32', [n, c], t), new Tensor('float32', [n, c], s), T);
      const got = value(softTargetLoss(tf.tensor2d(s, [n, c]), tf.tensor2d(t, [n, c]), T));
      expect(got).toBeCloseTo(ref, 4);
    }
  });

  it('has the gradient τ·(q − p)/B with respect to the student logits', () => {
    const T = 2;
    const s = t2([[0, 0]]);
    const g = tf.grad((x: tf.Tensor) => softTargetLoss(x as tf.Tensor2D, t2([[ln(3), 0]]), T))(s);
    const [g0, g1] = g.dataSync();
    expect(g0).toBeCloseTo(T * (0.5 - P2), 6);
    expect(g1).toBeCloseTo(T * (0.5 - (1 - P2)), 6);
  });

  it('stays finite (value and gradient) for logits of ±1e4', () => {
    const s = t2([[1e4, -1e4, 0]]);
    const t = t2([[-1e4, 1e4, 0]]);
    // p ≈ [0, 1, 0], log q_2 = −2e4 exactly, so KL = 2e4.
    const { value: v, grad } = tf.valueAndGrad((x: tf.Tensor) => softTargetLoss(x as tf.Tensor2D, t, 1))(s);
    expect(v.dataSync()[0]).toBeCloseTo(2e4, 0);
    const g = grad.dataSync();
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
    expect(g[0]).toBeCloseTo(1, 5);
    expect(g[1]).toBeCloseTo(-1, 5);
    expect(g[2]).toBeCloseTo(0, 5);
    for (const T of [0.1, 4, 100]) {
      const gt = tf.grad((x: tf.Tensor) => softTargetLoss(x as tf.Tensor2D, t, T))(s).dataSync();
      expect(Array.from(gt).every(Number.isFinite)).toBe(true);
    }
  });
});

describe('hintonLoss', () => {
  const s = () => t2([[ln(2), 0], [0, 0]]);
  const t = () => t2([[ln(3), 0], [ln(3), 0]]);
  const y = () => labels([0, 1]);

  it('α = 0 is the cross-entropy with the labels alone', () => {
    // CE row 1 (label 0): −ln(2/3); row 2 (label 1): −ln(1/2).
    const ce = (ln(1.5) + ln(2)) / 2;
    expect(value(hintonLoss(s(), t(), y(), 4, 0))).toBeCloseTo(ce, 6);
    expect(value(hardTargetLoss(s(), y()))).toBeCloseTo(ce, 6);
  });

  it('α = 1 is the soft-target term alone (τ²·KL)', () => {
    expect(value(hintonLoss(s(), t(), y(), 1, 1))).toBeCloseTo((KL1 + KL2) / 2, 6);
  });

  it('mixes (1−α)·CE + α·τ²·KL', () => {
    const ce = (ln(1.5) + ln(2)) / 2;
    expect(value(hintonLoss(s(), t(), y(), 1, 0.3))).toBeCloseTo(0.7 * ce + 0.3 * ((KL1 + KL2) / 2), 6);
  });

  it('ignores unlabelled rows (-1) in the CE term and keeps them in the soft term', () => {
    // CE over the one labelled row: −ln(2/3); KL over both rows.
    expect(value(hintonLoss(s(), t(), labels([0, -1]), 1, 0.5))).toBeCloseTo(0.5 * ln(1.5) + 0.5 * ((KL1 + KL2) / 2), 6);
    // No labelled row at all: only the soft term remains.
    expect(value(hintonLoss(s(), t(), labels([-1, -1]), 1, 0.5))).toBeCloseTo(0.5 * ((KL1 + KL2) / 2), 6);
  });
});

describe('additiveLoss', () => {
  it('is CE + λ·τ²·KL', () => {
    const ce = ln(1.5);
    const v = value(additiveLoss(t2([[ln(2), 0]]), t2([[ln(3), 0]]), labels([0]), 1, 2.5));
    expect(v).toBeCloseTo(ce + 2.5 * KL1, 6);
    const v2 = value(additiveLoss(t2([[0, 0]]), t2([[ln(3), 0]]), labels([0]), 2, 1));
    expect(v2).toBeCloseTo(ln(2) + 4 * KL2_T2, 6);
  });

  it('λ = 0 is the cross-entropy alone', () => {
    expect(value(additiveLoss(t2([[ln(2), 0]]), t2([[ln(3), 0]]), labels([0]), 3, 0))).toBeCloseTo(ln(1.5), 6);
  });
});
