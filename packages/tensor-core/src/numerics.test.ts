import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors/config-error.js';
import { ShapeMismatchError } from './errors/shape-mismatch-error.js';
import { argmax, crossEntropyFromLogits, klDivergence, logSoftmax, softmax, topK } from './numerics.js';
import { Tensor } from './tensor.js';

// Reference values below were worked out by hand and checked with /usr/bin/python3 `math`
// (float64): lse(v) = max(v) + log(Σ exp(v_i − max(v))), logSoftmax = v − lse(v).

const m = (rows: number[][]): Tensor<'float32'> => Tensor.float32([rows.length, rows[0]!.length], rows.flat());

function expectClose(actual: ArrayLike<number>, expected: number[], digits = 6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, digits);
}

describe('softmax', () => {
  it('matches hand-computed values', () => {
    // softmax([1,2,3]) = [e, e², e³] / (e + e² + e³) = [0.0900306, 0.2447285, 0.6652410]
    // softmax([0, ln 3]) = [1, 3] / 4 = [0.25, 0.75]
    // softmax([0, 1]) = [1, e] / (1 + e) = [0.2689414, 0.7310586]
    const p = softmax(m([[0, 1], [0, Math.log(3)]]));
    expectClose(p.data, [0.2689414, 0.7310586, 0.25, 0.75]);
    const q = softmax(m([[1, 2, 3]]));
    expectClose(q.data, [0.09003057, 0.24472847, 0.66524096]);
    expect(q.shape).toEqual([1, 3]);
  });

  it('softens with temperature: softmax([1,2,3] / 2)', () => {
    // [e^0.5, e^1, e^1.5] / Σ = [0.1863237, 0.3071959, 0.5064804]
    expectClose(softmax(m([[1, 2, 3]]), 2).data, [0.18632372, 0.30719589, 0.50648039]);
  });

  it('is exact and finite for logits of ±1e4', () => {
    // exp(−2e4) underflows to 0 in float64: the row is one-hot, not NaN.
    expectClose(softmax(m([[1e4, -1e4]])).data, [1, 0]);
    // Shifting by −1e4 does not change [ln-odds 1]: softmax([−1e4, −1e4+1]) = softmax([0, 1]) = [0.2689414, 0.7310586]
    expectClose(softmax(m([[-1e4, -1e4 + 1]])).data, [0.26894142, 0.73105858]);
    // Near the float32 limit: equal logits still share evenly (log 2 is not lost next to 3e38).
    expectClose(softmax(m([[3e38, 3e38]])).data, [0.5, 0.5]);
    expectClose(logSoftmax(m([[3e38, 3e38]])).data, [-Math.LN2, -Math.LN2]);
  });

  it('rows sum to 1', () => {
    const p = softmax(m([[0.3, -7, 12, 5], [100, 100, 100, 100]]));
    for (let r = 0; r < 2; r++) expect(p.data.subarray(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expectClose(p.data.subarray(4), [0.25, 0.25, 0.25, 0.25]);
  });

  it('gives equal shares to +Infinity logits and NaN for an all −Infinity row', () => {
    expectClose(softmax(m([[Number.POSITIVE_INFINITY, 0, Number.POSITIVE_INFINITY]])).data, [0.5, 0, 0.5]);
    expect(Array.from(softmax(m([[Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]])).data).every(Number.isNaN)).toBe(true);
  });

  it('rejects a non-positive temperature and a non-matrix', () => {
    expect(() => softmax(m([[1, 2]]), 0)).toThrow(ConfigError);
    expect(() => softmax(m([[1, 2]]), -1)).toThrow(/temperature: must be a positive finite number, got -1/);
    expect(() => softmax(Tensor.float32([3], [1, 2, 3]))).toThrow(ShapeMismatchError);
    expect(() => softmax(Tensor.float32([3], [1, 2, 3]))).toThrow(/logits: expected rank 2 \[N, C\], found \[3\]/);
  });
});

describe('logSoftmax', () => {
  it('matches hand-computed values', () => {
    // lse([1,2,3]) = 3 + ln(1 + e⁻¹ + e⁻²) = 3.4076060 -> [−2.4076060, −1.4076060, −0.4076060]
    expectClose(logSoftmax(m([[1, 2, 3]])).data, [-2.40760596, -1.40760596, -0.40760596]);
  });

  it('is exact for logits of ±1e4 (no −Infinity, no NaN)', () => {
    // lse([1e4, −1e4]) = 1e4 exactly in float64 -> [0, −2e4]
    expectClose(logSoftmax(m([[1e4, -1e4]])).data, [0, -20000], 3);
    // lse([1e4, 1e4, −1e4]) = 1e4 + ln 2 -> [−ln 2, −ln 2, −2e4 − ln 2]
    const r = logSoftmax(m([[1e4, 1e4, -1e4]])).data;
    expectClose(r.subarray(0, 2), [-Math.LN2, -Math.LN2]);
    expect(r[2]).toBeCloseTo(-20000.693147, 2);
    // [−1e4, −1e4+1] -> [−1.3132617, −0.3132617]
    expectClose(logSoftmax(m([[-1e4, -1e4 + 1]])).data, [-1.31326169, -0.31326169]);
  });

  it('applies the temperature before normalising: logSoftmax([2,4,6], T=2) = logSoftmax([1,2,3])', () => {
    expectClose(logSoftmax(m([[2, 4, 6]]), 2).data, [-2.40760596, -1.40760596, -0.40760596]);
  });
});

describe('crossEntropyFromLogits', () => {
  it('is the mean of −log p[label]', () => {
    // row 0: −logSoftmax([1,2,3])[2] = 0.4076060; row 1: −log(1/3) = ln 3 = 1.0986123; mean = 0.7531091
    expect(crossEntropyFromLogits(m([[1, 2, 3], [0, 0, 0]]), Int32Array.of(2, 1))).toBeCloseTo(0.75310913, 6);
  });

  it('is finite for extreme logits: confidently wrong costs 2e4, confidently right costs 0', () => {
    // labels [1, 0] on rows [1e4, −1e4]: (2e4 + 0) / 2 = 1e4
    expect(crossEntropyFromLogits(m([[1e4, -1e4], [1e4, -1e4]]), Int32Array.of(1, 0))).toBeCloseTo(10000, 6);
  });

  it('checks the labels', () => {
    expect(() => crossEntropyFromLogits(m([[1, 2]]), Int32Array.of(2))).toThrow(/labels: label 2 at row 0 is outside \[0, 2\)/);
    expect(() => crossEntropyFromLogits(m([[1, 2]]), Int32Array.of(0, 1))).toThrow(/labels: expected 1 labels \(one per row\), found 2/);
  });
});

describe('klDivergence', () => {
  it('matches the hand-computed KL(p‖q)', () => {
    // p = softmax([1,2,3]), q = softmax([3,2,1]): log p − log q = [−2, 0, 2], so
    // KL = 2(p₃ − p₁) = 2(0.6652410 − 0.0900306) = 1.1504208; the second row has p = q, KL = 0.
    // Mean over rows: 0.5752104.
    expect(klDivergence(m([[1, 2, 3], [0, 0, 0]]), m([[3, 2, 1], [0, 0, 0]]))).toBeCloseTo(0.57521038, 6);
  });

  it('uses the temperature on both sides', () => {
    // T = 2: log p − log q = [−1, 0, 1], KL = p₃ − p₁ with p = softmax([.5, 1, 1.5]) = 0.5064804 − 0.1863237 = 0.3201567; mean 0.1600783
    expect(klDivergence(m([[1, 2, 3], [0, 0, 0]]), m([[3, 2, 1], [0, 0, 0]]), 2)).toBeCloseTo(0.16007833, 6);
  });

  it('is zero for identical inputs and invariant to a per-row shift', () => {
    expect(klDivergence(m([[0.3, -2, 7]]), m([[0.3, -2, 7]]))).toBe(0);
    expect(klDivergence(m([[1, 2, 3]]), m([[101, 102, 103]]))).toBeCloseTo(0, 6);
  });

  it('is finite for extreme logits', () => {
    // p = [1, 0], q = [0, 1] up to exp(−2e4): KL = log p₁ − log q₁ = 0 − (−2e4) = 2e4
    expect(klDivergence(m([[1e4, -1e4]]), m([[-1e4, 1e4]]))).toBeCloseTo(20000, 6);
    // T = 1e4: logits/T = [1, −1] vs [−1, 1]: KL = 2(p₁ − p₂) = 2·tanh(1) = 1.5231883
    expect(klDivergence(m([[1e4, -1e4]]), m([[-1e4, 1e4]]), 1e4)).toBeCloseTo(1.52318831, 6);
  });

  it('rejects mismatched shapes', () => {
    expect(() => klDivergence(m([[1, 2]]), m([[1, 2, 3]]))).toThrow(/q logits: expected \[1,2\], found \[1,3\]/);
  });
});

describe('argmax and topK', () => {
  it('argmax picks the first of tied maxima', () => {
    expect(Array.from(argmax(m([[1, 3, 2, 3], [-5, -1, -9, -1e4], [0, 0, 0, 0]])))).toEqual([1, 1, 0]);
  });

  it('topK returns the k largest, largest first, ties by lower index', () => {
    const { values, indices } = topK(m([[1, 3, 2, 3], [4, -1, 0, 9]]), 3);
    expect(values.shape).toEqual([2, 3]);
    expect(indices.shape).toEqual([2, 3]);
    expect(Array.from(values.data)).toEqual([3, 3, 2, 9, 4, 0]);
    expect(Array.from(indices.data)).toEqual([1, 3, 2, 3, 0, 2]);
  });

  it('topK with k = C sorts the whole row; k out of range is a ConfigError', () => {
    expect(Array.from(topK(m([[0.5, -2, 7, 1e4]]), 4).indices.data)).toEqual([3, 2, 0, 1]);
    expect(() => topK(m([[1, 2]]), 3)).toThrow(/k: must be an integer in \[1, 2\], got 3/);
    expect(() => topK(m([[1, 2]]), 0)).toThrow(ConfigError);
  });
});
