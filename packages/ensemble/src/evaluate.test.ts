import { describe, expect, it } from 'vitest';
import { evaluateEnsemble } from './evaluate.js';
import { logitsOf } from './testing/fixtures.test.util.js';
import { Tensor } from '@shrinkray/tensor-core';

describe('evaluateEnsemble', () => {
  it('scores members and the ensemble, and counts pairwise disagreement', () => {
    const labels = Int32Array.of(0, 1, 1, 0);
    const a = logitsOf([
      [0.9, 0.1],
      [0.2, 0.8],
      [0.4, 0.6],
      [0.3, 0.7],
    ]); // predicts 0,1,1,1: 3/4
    const b = logitsOf([
      [0.6, 0.4],
      [0.7, 0.3],
      [0.1, 0.9],
      [0.8, 0.2],
    ]); // predicts 0,0,1,0: 3/4
    const c = logitsOf([
      [0.5, 0.5],
      [0.5, 0.5],
      [0.5, 0.5],
      [0.5, 0.5],
    ]); // predicts 0 everywhere (ties: lower index): 2/4
    const probabilities = Tensor.float32([4, 2], [0.75, 0.25, 0.45, 0.55, 0.25, 0.75, 0.55, 0.45]);
    const r = evaluateEnsemble({ memberLogits: [a, b, c], memberNames: ['a', 'b', 'c'], probabilities, labels });
    expect(r.members.map((m) => [m.name, m.accuracy])).toEqual([
      ['a', 0.75],
      ['b', 0.75],
      ['c', 0.5],
    ]);
    expect(r.members[0]!.nll).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.6) + Math.log(0.3)) / 4, 6);
    expect(r.ensemble.accuracy).toBe(1);
    expect(r.ensemble.nll).toBeCloseTo(-(Math.log(0.75) + Math.log(0.55) + Math.log(0.75) + Math.log(0.55)) / 4, 6);
    // a vs b differ on rows 1 and 3; a vs c on rows 1, 2, 3; b vs c on row 2.
    expect(r.disagreement).toEqual([
      [0, 0.5, 0.75],
      [0.5, 0, 0.25],
      [0.75, 0.25, 0],
    ]);
    expect(r.meanDisagreement).toBeCloseTo(0.5, 12);
    // ECE with 15 bins: confidences 0.75, 0.55, 0.75, 0.55 -> bins (0.733,0.8] and (0.533,0.6], all correct.
    expect(r.ensemble.ece).toBeCloseTo(0.5 * 0.25 + 0.5 * 0.45, 6);
  });
});
