const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;

/** A member's or an ensemble's test metrics, as the report needs them. */
export interface Scored {
  name: string;
  accuracy: number;
  nll: number;
}

/**
 * One sentence on whether an ensemble beat its best member in test accuracy, and when it did not, why:
 * members of unequal strength (the weakest over 2 points below the best: averaging pulls toward it),
 * errors that mostly coincide (members disagree on fewer rows than twice the best member's error
 * rate, so there is little to correct), a combination fitted with many parameters on a small
 * validation split (`fitted`: it overfits), or a difference of a few test rows (noise). Says too when
 * the ensemble's NLL beats the best member's (better calibrated even without more correct answers).
 */
export function explainEnsemble(
  what: string,
  members: readonly Scored[],
  ensemble: { accuracy: number; nll: number; samples: number },
  meanDisagreement: number,
  fitted?: { parameters: number; validationRows: number },
): string[] {
  const best = members.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  const worst = members.reduce((a, b) => (b.accuracy < a.accuracy ? b : a));
  const bestNll = Math.min(...members.map((m) => m.nll));
  const nll = ensemble.nll < bestNll ? ` Its NLL, ${ensemble.nll.toFixed(4)}, is below every member's (best ${bestNll.toFixed(4)}).` : '';
  if (ensemble.accuracy > best.accuracy) {
    const strength = best.accuracy - worst.accuracy > 0.02 ? 'the members range' : 'the members are of comparable strength';
    return [`Ensemble: ${what} reaches ${pct(ensemble.accuracy)}, above its best member (${best.name}, ${pct(best.accuracy)}): ${strength} (${pct(worst.accuracy)}–${pct(best.accuracy)}) and disagree on ${pct(meanDisagreement)} of the test rows on average, so their errors partly cancel.${nll}`];
  }
  const reasons: string[] = [];
  if (fitted) reasons.push(`it fits ${fitted.parameters} parameters on ${fitted.validationRows} validation rows, where the members make only a handful of errors, so it learns that split's noise`);
  if (best.accuracy - worst.accuracy > 0.02) reasons.push(`its members are of unequal strength (${worst.name} is ${((best.accuracy - worst.accuracy) * 100).toFixed(1)} points below ${best.name}), so averaging pulls the strong member toward the weak one`);
  if (meanDisagreement < 2 * (1 - best.accuracy)) reasons.push(`its members disagree on only ${pct(meanDisagreement)} of the test rows while the best one errs on ${pct(1 - best.accuracy)}: their errors mostly fall on the same rows, so there is little for a combination to correct`);
  const rows = Math.round((best.accuracy - ensemble.accuracy) * ensemble.samples);
  if (rows <= 3) reasons.push(`the difference is ${rows} of ${ensemble.samples} test rows, within the noise of a test split this size`);
  return [`Ensemble: ${what} reaches ${pct(ensemble.accuracy)}, not above its best member (${best.name}, ${pct(best.accuracy)}): ${reasons.join('; and ')}.${nll}`];
}
