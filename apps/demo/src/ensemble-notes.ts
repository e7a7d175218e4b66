const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;

/**
 * One sentence on whether an ensemble beat its best member, and when it did not, why: the weakest
 * member far below the best (averaging pulls toward it), or members that rarely disagree (nothing to
 * correct), or, failing both, the test split's noise. Thresholds: a gap over 2 points, disagreement
 * under 2% of rows.
 */
export function explainEnsemble(what: string, members: readonly { name: string; accuracy: number }[], accuracy: number, meanDisagreement: number): string[] {
  const best = members.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  const worst = members.reduce((a, b) => (b.accuracy < a.accuracy ? b : a));
  if (accuracy > best.accuracy) {
    const strength = best.accuracy - worst.accuracy > 0.02 ? 'the members range' : 'the members are of comparable strength';
    return [`Ensemble: ${what} reaches ${pct(accuracy)}, above its best member (${best.name}, ${pct(best.accuracy)}): ${strength} (${pct(worst.accuracy)}–${pct(best.accuracy)}) and disagree on ${pct(meanDisagreement)} of the test rows on average, so their errors partly cancel.`];
  }
  const reasons: string[] = [];
  if (best.accuracy - worst.accuracy > 0.02) reasons.push(`its members are of unequal strength (${worst.name} is ${((best.accuracy - worst.accuracy) * 100).toFixed(1)} points below ${best.name}), so averaging pulls the strong member toward the weak one`);
  if (meanDisagreement < 0.02) reasons.push(`its members disagree on only ${pct(meanDisagreement)} of the test rows (near-copies of one model), so there are few errors to correct`);
  if (reasons.length === 0) reasons.push(`the difference (${((best.accuracy - accuracy) * 100).toFixed(2)} points) is within the noise of a test split this size`);
  return [`Ensemble: ${what} reaches ${pct(accuracy)}, not above its best member (${best.name}, ${pct(best.accuracy)}): ${reasons.join('; and ')}.`];
}
