import { describe, expect, it } from 'vitest';
import { minimizeLbfgs } from './lbfgs.js';
import { fitMultinomialLogistic } from './logistic.js';
import { fitSimplexLogLoss, projectToSimplex } from './simplex.js';

describe('projectToSimplex', () => {
  it('matches hand-computed projections', () => {
    expect(Array.from(projectToSimplex([0.5, 0.5]))).toEqual([0.5, 0.5]);
    expect(Array.from(projectToSimplex([2, 0]))).toEqual([1, 0]);
    // θ = 0.1: (0.6, 0.6, 0) -> (0.5, 0.5, 0).
    const a = projectToSimplex([0.6, 0.6, 0]);
    expect(a[0]).toBeCloseTo(0.5, 12);
    expect(a[2]).toBe(0);
    // Sorted (0.9, 0.5, −1): θ = (0.9 + 0.5 − 1)/2 = 0.2 -> (0, 0.3, 0.7).
    const b = projectToSimplex([-1, 0.5, 0.9]);
    expect(b[0]).toBe(0);
    expect(b[1]).toBeCloseTo(0.3, 12);
    expect(b[2]).toBeCloseTo(0.7, 12);
  });
});

describe('fitSimplexLogLoss', () => {
  it('finds the analytic optimum of a two-member pool', () => {
    // Rows: member probabilities of the true class (0.8, 0.4) and (0.2, 0.6) with 3 and 1 copies.
    // L(w) = −[3·log(0.4 + 0.4w) + log(0.6 − 0.4w)]/4; dL/dw = 0 at 3·0.4/(0.4+0.4w) = 0.4/(0.6−0.4w) -> w = 0.875.
    const P = Float64Array.of(0.8, 0.4, 0.8, 0.4, 0.8, 0.4, 0.2, 0.6);
    const { weights } = fitSimplexLogLoss(P, 4, 2, { start: [0.5, 0.5] });
    expect(weights[0]).toBeCloseTo(0.875, 6);
    expect(weights[1]).toBeCloseTo(0.125, 6);
  });
});

describe('minimizeLbfgs', () => {
  it('finds the minimum of the Rosenbrock function at (1, 1)', () => {
    const { x, value } = minimizeLbfgs(
      (p, g) => {
        const a = p[0]!;
        const b = p[1]!;
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      Float64Array.of(-1.2, 1),
      { maxIterations: 500, tolerance: 1e-16 },
    );
    expect(x[0]).toBeCloseTo(1, 4);
    expect(x[1]).toBeCloseTo(1, 4);
    expect(value).toBeLessThan(1e-8);
  });
});

describe('fitMultinomialLogistic', () => {
  it('with uninformative (zero) features, softmax(b) recovers the class frequencies', () => {
    const labels = Int32Array.of(0, 0, 0, 0, 0, 1, 1, 1, 2, 2);
    const features = new Float64Array(10 * 2);
    const { b } = fitMultinomialLogistic(features, labels, 2, 3, { maxIterations: 500 });
    const e = Array.from(b).map(Math.exp);
    const s = e.reduce((x, y) => x + y, 0);
    expect(e[0]! / s).toBeCloseTo(0.5, 5);
    expect(e[1]! / s).toBeCloseTo(0.3, 5);
    expect(e[2]! / s).toBeCloseTo(0.2, 5);
  });

  it('recovers the closed-form optimum of a balanced one-feature binary problem', () => {
    // A 1-feature binary problem with l2 = 0 has a closed-form optimum when the data are balanced:
    // x = +1 for class 1 in 3 of 4 rows, x = −1 for class 0 in 3 of 4 rows -> p(1|x=1) = 3/4.
    const features = Float64Array.of(1, 1, 1, 1, -1, -1, -1, -1);
    const labels = Int32Array.of(1, 1, 1, 0, 0, 0, 0, 1);
    const { W, b } = fitMultinomialLogistic(features, labels, 1, 2, { l2: 0, maxIterations: 500 });
    const p1 = (x: number) => 1 / (1 + Math.exp(x * W[0]! + b[0]! - (x * W[1]! + b[1]!)));
    expect(p1(1)).toBeCloseTo(0.75, 5);
    expect(p1(-1)).toBeCloseTo(0.25, 5);
  });
});
