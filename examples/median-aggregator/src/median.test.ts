import { Tensor } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { medianAggregator } from './median.js';

const logitsOf = (probabilities: number[][]): Tensor<'float32'> => Tensor.float32([probabilities.length, probabilities[0]!.length], probabilities.flat().map(Math.log));

describe('median aggregator', () => {
  it('takes the per-class median of member probabilities and renormalises (hand-computed)', async () => {
    const fitted = await medianAggregator.fit({ numMembers: 3, numClasses: 2, memberNames: ['a', 'b', 'c'], seed: 0 });
    // Class 0: median(0.9, 0.6, 0.1) = 0.6; class 1: median(0.1, 0.4, 0.9) = 0.4; sum 1.0.
    const out = fitted.combine([logitsOf([[0.9, 0.1]]), logitsOf([[0.6, 0.4]]), logitsOf([[0.1, 0.9]])]);
    expect(out.shape).toEqual([1, 2]);
    expect(out.data[0]).toBeCloseTo(0.6, 6);
    expect(out.data[1]).toBeCloseTo(0.4, 6);
  });

  it('averages the two middle values for an even member count, then renormalises', async () => {
    const fitted = await medianAggregator.fit({ numMembers: 2, numClasses: 3, memberNames: ['a', 'b'], seed: 0 });
    // Medians (means of two): 0.35, 0.35, 0.3 -> already sum to 1.
    const out = fitted.combine([logitsOf([[0.5, 0.2, 0.3]]), logitsOf([[0.2, 0.5, 0.3]])]);
    expect([...out.data].map((v) => Number(v.toFixed(6)))).toEqual([0.35, 0.35, 0.3]);
  });

  it('is registered by importing the package', async () => {
    const { aggregators } = await import('@shrinkray/ensemble');
    await import('./index.js');
    expect(aggregators.get('median')).toBe(medianAggregator);
  });
});
