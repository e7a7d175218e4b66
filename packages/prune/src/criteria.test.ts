import { Rng } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { criteria, scoreUnits } from './criteria.js';

// A Dense kernel [in=2, out=3], row-major: rows are inputs, columns are units.
const weights = Float32Array.from([1, -2, 0.5, -3, 4, 0]);
const shape = [2, 3];
const ctx = (extra = {}) => ({ layer: 'd', weights, shape, rng: new Rng(1), ...extra });

describe('criteria', () => {
  it('l1 scores |w| and units by L1 norm', () => {
    expect([...criteria.get('l1').scoreWeights(ctx())]).toEqual([1, 2, 0.5, 3, 4, 0]);
    expect([...scoreUnits(criteria.get('l1'), ctx())]).toEqual([4, 6, 0.5]);
  });

  it('l2 scores w² and units by L2 norm', () => {
    expect([...criteria.get('l2').scoreWeights(ctx())]).toEqual([1, 4, 0.25, 9, 16, 0]);
    const u = scoreUnits(criteria.get('l2'), ctx());
    expect(u[0]).toBeCloseTo(Math.sqrt(10), 6);
    expect(u[1]).toBeCloseTo(Math.sqrt(20), 6);
    expect(u[2]).toBeCloseTo(0.5, 6);
  });

  it('taylor scores |w·g| per weight and |Σ w·g| per unit', () => {
    const gradients = Float32Array.from([0.5, 0.5, -2, 1, 0.25, 3]);
    expect([...criteria.get('taylor').scoreWeights(ctx({ gradients }))]).toEqual([0.5, 1, 1, 3, 1, 0]);
    // unit 0: 1·0.5 + (−3)·1 = −2.5; unit 1: −2·0.5 + 4·0.25 = 0; unit 2: 0.5·(−2) + 0 = −1
    expect([...scoreUnits(criteria.get('taylor'), ctx({ gradients }))]).toEqual([2.5, 0, 1]);
    expect(() => criteria.get('taylor').scoreWeights(ctx())).toThrow(/needs gradients/);
  });

  it('random with a run seed gives every weight a fixed score per layer and seed', () => {
    const a = criteria.get('random').scoreWeights(ctx({ seed: 5 }));
    const b = criteria.get('random').scoreWeights({ ...ctx({ seed: 5 }), rng: new Rng(123) });
    const other = criteria.get('random').scoreWeights({ ...ctx({ seed: 5 }), layer: 'e' });
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...other]);
  });

  it('random is seeded: same seed, same scores; different seed, different scores', () => {
    const a = criteria.get('random').scoreWeights(ctx());
    const b = criteria.get('random').scoreWeights(ctx());
    const c = criteria.get('random').scoreWeights({ ...ctx(), rng: new Rng(2) });
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
    expect(a.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});
