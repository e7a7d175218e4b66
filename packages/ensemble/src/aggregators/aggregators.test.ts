import { ConfigError, PluginError } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { AggregatorFitError } from '../errors/aggregator-fit-error.js';
import { accuracyOf, nllOf, softmaxRows } from '../math.js';
import { logitsOf, syntheticMembers } from '../testing/fixtures.test.util.js';
import { aggregators, createAggregatorRegistry } from './builtins.js';
import { normalizeWeights } from './linear.js';
import type { AggregatorFitInput, AggregatorPlugin, LabelledOutputs } from './types.js';

const A = [0.2, 0.8];
const B = [0.6, 0.4];
const C = [0.3, 0.7];

function input(members: number, classes: number, extra: Partial<AggregatorFitInput> = {}): AggregatorFitInput {
  return { numMembers: members, numClasses: classes, memberNames: Array.from({ length: members }, (_, i) => `m${i}`), seed: 0, ...extra };
}

async function combine(name: string, rows: readonly (readonly number[])[], extra: Partial<AggregatorFitInput> = {}): Promise<number[]> {
  const fitted = await aggregators.get(name).fit(input(rows.length, rows[0]!.length, extra));
  return Array.from(fitted.combine(rows.map((r) => logitsOf([r]))).data);
}

describe('registry', () => {
  it('lists the built-ins and gets them by name', () => {
    expect(aggregators.list()).toEqual(['mean', 'weighted', 'accuracy-weighted', 'optimized', 'vote', 'geometric-mean', 'stacking']);
    expect(aggregators.get('vote').name).toBe('vote');
  });

  it('names the registered aggregators when one is unknown', () => {
    const registry = createAggregatorRegistry();
    expect(() => registry.get('median')).toThrow(/unknown aggregator "median"; registered: mean, weighted/);
    expect(() => registry.get('median')).toThrow(/unknown aggregator "median"; registered: mean, weighted, accuracy-weighted, optimized, vote, geometric-mean, stacking/);
  });

  it('registers a plugin, accepts it twice, and refuses a different plugin under a taken name', async () => {
    const registry = createAggregatorRegistry();
    const first: AggregatorPlugin = { name: 'first-member', description: 'member 0 alone', requiresValidation: false, fit: (i) => aggregators.get('weighted').fit({ ...i, weights: [1, 0] }) };
    registry.register(first);
    registry.register(first);
    expect(registry.list().at(-1)).toBe('first-member');
    const out = (await registry.get('first-member').fit(input(2, 2))).combine([logitsOf([A]), logitsOf([B])]);
    expect(Array.from(out.data)).toEqual([expect.closeTo(0.2, 6), expect.closeTo(0.8, 6)]);
    expect(() => registry.register({ ...first })).toThrow(PluginError);
    expect(() => registry.register({ ...aggregators.get('mean') })).toThrow(/a different aggregator is already registered as "mean"/);
  });
});

describe('hand-computed examples', () => {
  it('mean: (0.2,0.8) and (0.6,0.4) average to (0.4,0.6)', async () => {
    const out = await combine('mean', [A, B]);
    expect(out[0]).toBeCloseTo(0.4, 6);
    expect(out[1]).toBeCloseTo(0.6, 6);
  });

  it('weighted: weights 3,1 are normalised to 0.75,0.25 -> (0.3,0.7)', async () => {
    const fitted = await aggregators.get('weighted').fit(input(2, 2, { weights: [3, 1] }));
    expect(fitted.weights).toEqual([0.75, 0.25]);
    const out = Array.from(fitted.combine([logitsOf([A]), logitsOf([B])]).data);
    expect(out[0]).toBeCloseTo(0.3, 6);
    expect(out[1]).toBeCloseTo(0.7, 6);
  });

  it('geometric-mean: sqrt(0.2·0.6) : sqrt(0.8·0.4), normalised', async () => {
    const out = await combine('geometric-mean', [A, B]);
    const g0 = Math.sqrt(0.12);
    const g1 = Math.sqrt(0.32);
    expect(out[0]).toBeCloseTo(g0 / (g0 + g1), 6);
    expect(out[1]).toBeCloseTo(g1 / (g0 + g1), 6);
    expect(out[0]).toBeCloseTo(0.379796, 5);
  });

  it('vote: two votes for class 1 and one for class 0 -> ((1 + ½·p̄0), (2 + ½·p̄1)) / 3.5', async () => {
    const out = await combine('vote', [A, B, C]);
    const mean0 = (0.2 + 0.6 + 0.3) / 3;
    expect(out[0]).toBeCloseTo((1 + 0.5 * mean0) / 3.5, 6);
    expect(out[1]).toBeCloseTo((2 + 0.5 * (1 - mean0)) / 3.5, 6);
    expect(out[0]).toBeCloseTo(0.338095, 5);
  });

  it('vote: a tie in votes goes to the higher mean probability, then the lower class index', async () => {
    // One vote each; mean probabilities (0.4, 0.6) -> class 1 wins: ((1+0.2), (1+0.3)) / 2.5.
    const tie = await combine('vote', [A, B]);
    expect(tie[0]).toBeCloseTo(0.48, 6);
    expect(tie[1]).toBeCloseTo(0.52, 6);
    // One vote each and equal mean probabilities: equal scores, argmax takes class 0.
    const flat = await combine('vote', [
      [0.3, 0.7],
      [0.7, 0.3],
    ]);
    expect(flat[0]).toBeCloseTo(0.5, 6);
    expect(flat[1]).toBeCloseTo(0.5, 6);
    // The majority wins even when the minority is far more confident: votes (2, 1) for classes (0, 1).
    const majority = await combine('vote', [
      [0.51, 0.49],
      [0.51, 0.49],
      [0.01, 0.99],
    ]);
    expect(majority[0]!).toBeGreaterThan(majority[1]!);
    expect(majority[0]).toBeCloseTo((2 + 0.5 * (1.03 / 3)) / 3.5, 6);
  });

  it('accuracy-weighted: wᵢ = accᵢ / Σ accⱼ exactly, with validation accuracies 3/4, 1/4, 2/4', async () => {
    const labels = Int32Array.of(0, 1, 1, 0);
    const right = [0.9, 0.1];
    const wrong = [0.1, 0.9];
    const flip = (p: number[]) => [p[1]!, p[0]!];
    // `right` predicts class 0 and `flip(right)` class 1; `wrong` predicts class 1.
    const m0 = logitsOf([right, flip(right), flip(right), wrong]); // 3 of 4 right
    const m1 = logitsOf([wrong, flip(right), right, wrong]); // 1 of 4 right
    const m2 = logitsOf([right, flip(right), right, wrong]); // 2 of 4 right
    const validation: LabelledOutputs = { logits: [m0, m1, m2], labels };
    const fitted = await aggregators.get('accuracy-weighted').fit(input(3, 2, { validation }));
    const sum = 0.75 + 0.25 + 0.5;
    expect(fitted.weights).toEqual([0.75 / sum, 0.25 / sum, 0.5 / sum]);
    const out = Array.from(fitted.combine([logitsOf([A]), logitsOf([B]), logitsOf([C])]).data);
    expect(out[0]).toBeCloseTo((0.75 * 0.2 + 0.25 * 0.6 + 0.5 * 0.3) / sum, 6);
  });

  it('optimized: two mirror-image members get equal weights (the analytic optimum)', async () => {
    const labels = Int32Array.of(0, 0);
    const m0 = logitsOf([
      [0.9, 0.1],
      [0.1, 0.9],
    ]);
    const m1 = logitsOf([
      [0.1, 0.9],
      [0.9, 0.1],
    ]);
    const fitted = await aggregators.get('optimized').fit(input(2, 2, { validation: { logits: [m0, m1], labels } }));
    // L(w) = −½[log(0.1 + 0.8w) + log(0.9 − 0.8w)] is minimised at w = ½.
    expect(fitted.weights![0]).toBeCloseTo(0.5, 6);
    expect(fitted.weights![1]).toBeCloseTo(0.5, 6);
  });

  it('optimized: a member that adds nothing gets weight 0', async () => {
    const { logits, labels } = syntheticMembers({ rows: 2000, classes: 5, members: 2, seed: 3, strength: (i) => (i === 0 ? 3 : 0) });
    const fitted = await aggregators.get('optimized').fit(input(2, 5, { validation: { logits, labels } }));
    expect(fitted.weights![0]).toBeGreaterThan(0.97);
  });
});

describe('validation of inputs', () => {
  it('rejects bad user weights with a ConfigError naming the entry', () => {
    expect(() => normalizeWeights([1, 2], 3)).toThrow(/expected 3 weights \(one per member\), found 2/);
    expect(() => normalizeWeights([1, -2, 1], 3, ['a.onnx', 'b.onnx', 'c.onnx'])).toThrow(/weight 1 \(member b.onnx\) is -2; expected a non-negative number/);
    expect(() => normalizeWeights([1, Number.NaN], 2)).toThrow(ConfigError);
    expect(() => normalizeWeights([0, 0], 2)).toThrow(/all weights are zero/);
    expect(normalizeWeights([1, 1, 2], 3)).toEqual([0.25, 0.25, 0.5]);
  });

  it('aggregators that fit need a validation split', async () => {
    for (const name of ['accuracy-weighted', 'optimized', 'stacking']) {
      await expect(async () => aggregators.get(name).fit(input(2, 2))).rejects.toThrow(AggregatorFitError);
    }
    await expect(async () => aggregators.get('weighted').fit(input(2, 2))).rejects.toThrow(ConfigError);
  });
});

describe('fitted aggregators are never worse than the best member on their fit split', () => {
  const scenarios = [
    { label: 'similar members', strength: (i: number) => 1.5 + 0.2 * i },
    { label: 'one strong member', strength: (i: number) => (i === 2 ? 4 : 0.8) },
    { label: 'complementary experts', strength: (i: number, c: number) => ((c < 5) === (i % 2 === 0) ? 3.5 : 0.3) },
    { label: 'useless members', strength: () => 0 },
  ];
  for (const [s, scenario] of scenarios.entries()) {
    for (const name of ['optimized', 'stacking']) {
      it(`${name}: ${scenario.label}`, async () => {
        const { logits, labels } = syntheticMembers({ rows: 1500, classes: 10, members: 4, seed: 10 + s, strength: scenario.strength });
        const fitted = await aggregators.get(name).fit(input(4, 10, { validation: { logits, labels } }));
        const p = fitted.combine(logits).data;
        const scores = logits.map((t) => ({ accuracy: accuracyOf(t.data, 1500, 10, labels), nll: nllOf(softmaxRows(t), 1500, 10, labels) }));
        const bestAccuracy = Math.max(...scores.map((x) => x.accuracy));
        const bestNll = Math.min(...scores.map((x) => x.nll));
        expect(accuracyOf(p, 1500, 10, labels)).toBeGreaterThanOrEqual(bestAccuracy);
        // The best-accuracy member is the reference; its NLL bounds the fit (1e-6: float32 output rounding).
        const best = scores.findIndex((x) => x.accuracy === bestAccuracy);
        expect(nllOf(p, 1500, 10, labels)).toBeLessThanOrEqual(scores[best]!.nll + 1e-6);
        if (scenario.label === 'complementary experts') {
          // Each expert knows half the classes: a fitted combination must clearly beat both.
          expect(accuracyOf(p, 1500, 10, labels)).toBeGreaterThan(bestAccuracy + 0.05);
          expect(nllOf(p, 1500, 10, labels)).toBeLessThan(bestNll);
        }
      });
    }
  }
});

describe('shrinkTowardBest', () => {
  it('returns the smallest grid fraction that reaches the target accuracy', async () => {
    const { shrinkTowardBest } = await import('./common.js');
    expect(shrinkTowardBest((t) => (t >= 0.3 ? 0.9 : 0.8), 0.85)).toEqual({ t: 0.3, accuracy: 0.9 });
    expect(shrinkTowardBest(() => 0.9, 0.85)).toEqual({ t: 0, accuracy: 0.9 });
    expect(shrinkTowardBest((t) => (t === 1 ? 0.85 : 0.5), 0.85)).toEqual({ t: 1, accuracy: 0.85 });
  });
});
