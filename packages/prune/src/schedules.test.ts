import { describe, expect, it } from 'vitest';
import { polynomialSparsity, schedules } from './schedules.js';

const ctx = { target: 0.9, initial: 0, begin: 0, end: 100, frequency: 25 };

describe('schedules', () => {
  it('one-shot prunes to the target once, before training', () => {
    expect(schedules.get('one-shot').plan(ctx)).toEqual([{ step: 0, sparsity: 0.9 }]);
  });

  it('constant re-selects the target every frequency steps up to end', () => {
    expect(schedules.get('constant').plan(ctx).map((e) => e.step)).toEqual([0, 25, 50, 75, 100]);
    expect(schedules.get('constant').plan(ctx).every((e) => e.sparsity === 0.9)).toBe(true);
  });

  it('polynomial follows Zhu & Gupta: s_t = s_f + (s_i − s_f)(1 − (t − t0)/(nΔt))³', () => {
    const plan = schedules.get('polynomial').plan(ctx);
    expect(plan.map((e) => e.step)).toEqual([0, 25, 50, 75, 100]);
    // hand-computed: 0.9 − 0.9·(1 − t/100)³
    const expected = [0, 0.9 - 0.9 * 0.421875, 0.9 - 0.9 * 0.125, 0.9 - 0.9 * 0.015625, 0.9];
    for (const [i, e] of plan.entries()) expect(e.sparsity).toBeCloseTo(expected[i]!, 12);
    expect(polynomialSparsity(50, { target: 0.8, initial: 0.2, begin: 10, end: 90 })).toBeCloseTo(0.8 - 0.6 * 0.125, 12);
    expect(polynomialSparsity(500, ctx)).toBe(0.9);
  });

  it('polynomial with begin = end prunes to the target at once; bad steps are config errors', () => {
    expect(schedules.get('polynomial').plan({ ...ctx, end: 0 })).toEqual([{ step: 0, sparsity: 0.9 }]);
    expect(() => schedules.get('polynomial').plan({ ...ctx, frequency: 0 })).toThrow(/schedule.frequency/);
    expect(() => schedules.get('constant').plan({ ...ctx, begin: 50, end: 10 })).toThrow(/schedule.end/);
  });
});
