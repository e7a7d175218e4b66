import { describe, expect, it } from 'vitest';
import { explainEnsemble } from './ensemble-notes.js';

const members = (...acc: number[]) => acc.map((accuracy, i) => ({ name: `m${i}`, accuracy }));

describe('explainEnsemble', () => {
  it('says an ensemble above its best member beat it, with the members range and disagreement', () => {
    const [note] = explainEnsemble('mean', members(0.975, 0.9715, 0.974), 0.98, 0.031);
    expect(note).toBe('Ensemble: mean reaches 98.00%, above its best member (m0, 97.50%): the members are of comparable strength (97.15%–97.50%) and disagree on 3.10% of the test rows on average, so their errors partly cancel.');
  });

  it('blames a much weaker member and near-copies when the ensemble does not beat its best member', () => {
    const [note] = explainEnsemble('mix', members(0.9835, 0.979, 0.9585), 0.9785, 0.015);
    expect(note).toContain('not above its best member (m0, 98.35%)');
    expect(note).toContain('m2 is 2.5 points below m0');
    expect(note).toContain('disagree on only 1.50% of the test rows');
  });

  it('calls a small loss among comparable, diverse members noise', () => {
    const [note] = explainEnsemble('mean', members(0.975, 0.97), 0.974, 0.03);
    expect(note).toContain('the difference (0.10 points) is within the noise');
  });
});
