import { describe, expect, it } from 'vitest';
import { explainEnsemble } from './ensemble-notes.js';

const members = (...acc: number[]) => acc.map((accuracy, i) => ({ name: `m${i}`, accuracy, nll: 0.1 + i / 100 }));

describe('explainEnsemble', () => {
  it('says an ensemble above its best member beat it, with the members range and disagreement', () => {
    const [note] = explainEnsemble('mean', members(0.975, 0.9715, 0.974), { accuracy: 0.98, nll: 0.08, samples: 2000 }, 0.031);
    expect(note).toBe(
      'Ensemble: mean reaches 98.00%, above its best member (m0, 97.50%): the members are of comparable strength (97.15%–97.50%) and disagree on 3.10% of the test rows on average, so their errors partly cancel. Its NLL, 0.0800, is below every member\'s (best 0.1000).',
    );
  });

  it('blames a much weaker member and coinciding errors when the ensemble loses', () => {
    // Best member errs on 1.65% of rows; the members disagree on 1.5%: fewer than twice that.
    const [note] = explainEnsemble('mix', members(0.9835, 0.979, 0.9585), { accuracy: 0.9735, nll: 0.2, samples: 2000 }, 0.015);
    expect(note).toContain('not above its best member (m0, 98.35%)');
    expect(note).toContain('m2 is 2.5 points below m0');
    expect(note).toContain('disagree on only 1.50% of the test rows while the best one errs on 1.65%');
    expect(note).not.toContain('noise');
    expect(note).not.toContain('NLL');
  });

  it('calls a loss of a few rows noise, and reports a better NLL', () => {
    const [note] = explainEnsemble('mean', members(0.975, 0.97), { accuracy: 0.974, nll: 0.05, samples: 2000 }, 0.06);
    expect(note).toContain('the difference is 2 of 2000 test rows, within the noise');
    expect(note).toContain('Its NLL, 0.0500, is below every member');
  });

  it('names overfitting for a combination fitted on a small validation split', () => {
    const [note] = explainEnsemble('stacking', members(0.9835, 0.9805), { accuracy: 0.978, nll: 0.1, samples: 2000 }, 0.0175, { parameters: 210, validationRows: 800 });
    expect(note).toContain('not above its best member (m0, 98.35%): it fits 210 parameters on 800 validation rows');
  });
});
