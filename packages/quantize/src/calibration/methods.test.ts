import { describe, expect, it } from 'vitest';
import { pythonJson } from '../testing.test.util.js';
import { AbsHistogram } from './histogram.js';
import { calibrationMethods, entropyCalibration, entropyThreshold, klDivergence, minmaxCalibration, percentileCalibration, percentileThreshold } from './methods.js';

describe('calibration methods', () => {
  it('registers minmax, percentile and entropy; unknown names list them', () => {
    expect(calibrationMethods.list()).toEqual(['minmax', 'percentile', 'entropy']);
    expect(() => calibrationMethods.get('mse')).toThrow(/minmax, percentile, entropy/);
  });

  it('minmax: the smallest and largest value over all batches', () => {
    const c = minmaxCalibration.collector();
    c.add(Float32Array.of(0.5, -1.25, 3));
    c.add(Float32Array.of(7, 0));
    expect(c.range()).toEqual({ min: -1.25, max: 7 });
  });

  it('the histogram doubles its range exactly as larger values arrive', () => {
    const h = new AbsHistogram(4);
    h.add(Float32Array.of(0.1, 0.6, 1)); // top 1, bins [0,.25) [.25,.5) [.5,.75) [.75,1]
    expect(Array.from(h.counts)).toEqual([1, 0, 1, 1]);
    h.add(Float32Array.of(-3.9)); // top 1 -> 2 -> 4: bins of width 1
    expect(h.top).toBe(4);
    expect(Array.from(h.counts)).toEqual([3, 0, 0, 1]);
    expect(h.min).toBeCloseTo(-3.9, 6);
    expect(h.max).toBe(1);
  });

  it('percentile: the upper edge of the bin where the cumulative count reaches p% (hand-computed)', () => {
    // 100 values in 10 bins of width 0.5: counts 50, 30, 10, 5, 3, 1, 1, 0, 0, 0
    const counts = [50, 30, 10, 5, 3, 1, 1, 0, 0, 0];
    expect(percentileThreshold(counts, 0.5, 90)).toBe(1.5); // 50+30+10 = 90 at bin 2
    expect(percentileThreshold(counts, 0.5, 95)).toBe(2); // 95 at bin 3
    expect(percentileThreshold(counts, 0.5, 99)).toBe(3); // 99 at bin 5
    expect(percentileThreshold(counts, 0.5, 100)).toBe(3.5);
  });

  it('percentile collector clips the signed range at the threshold', () => {
    // 999 values at 0.5, one outlier at -100: 99.9% of |x| lie within the first bins.
    const values = new Float32Array(1000).fill(0.5);
    values[0] = -100;
    const c = percentileCalibration({ percentile: 99.9, bins: 1000 }).collector();
    c.add(values);
    const r = c.range(); // bin width 0.1: the 0.5s fall in bin 5 -> threshold 0.6
    expect(r.min).toBeCloseTo(-0.6, 6);
    expect(r.max).toBeCloseTo(0.5, 6);
  });

  it('entropy: all mass in the first quantizedBins bins -> threshold at their edge (KL 0, hand-computed)', () => {
    expect(entropyThreshold([1, 1, 1, 1, 0, 0, 0, 0], 1, 4)).toBe(4);
  });

  it('entropy: an outlier the merged candidate represents exactly keeps the full range (hand-computed)', () => {
    // i = 4: P = [4,4,4,5], Q = [4,4,4,4] -> KL > 0; i = 8: P = [4,4,4,4,0,0,0,1], groups of 2 -> Q = P, KL 0.
    const p4 = [4, 4, 4, 5];
    const kl4 = 3 * (4 / 17) * Math.log(4 / 17 / 0.25) + (5 / 17) * Math.log(5 / 17 / 0.25);
    expect(klDivergence(p4, [4, 4, 4, 4])).toBeCloseTo(kl4, 12);
    expect(entropyThreshold([4, 4, 4, 4, 0, 0, 0, 1], 0.5, 4)).toBe(4);
  });

  it('entropy: a spike of zeros in the first bin does not pull the threshold down', () => {
    // Without the first-bin rule, i = 4 would win (the spike merged alone); with it the histogram is flat up to bin 7.
    expect(entropyThreshold([1000, 2, 2, 2, 2, 2, 2, 2], 1, 4)).toBe(8);
  });

  it('entropy matches an independent numpy implementation of the TensorRT algorithm', () => {
    const script = `
import sys, json, numpy as np
d = json.load(sys.stdin); hist = np.array(d['hist'], dtype=np.float64); hist[0] = hist[1]; nq = d['nq']; w = d['w']
best, best_kl = len(hist), np.inf
for i in range(nq, len(hist) + 1):
    p = hist[:i].copy(); p[i-1] += hist[i:].sum()
    m = i // nq; q = np.zeros(i)
    for j in range(nq):
        s, e = j * m, (i if j == nq - 1 else (j + 1) * m)
        nz = (p[s:e] != 0).sum()
        if nz: q[s:e] = np.where(p[s:e] != 0, hist[s:e].sum() / nz, 0)
    pn = p / p.sum(); qn = np.maximum(q / q.sum(), 1e-10)
    kl = float(np.sum(np.where(pn > 0, pn * np.log(np.where(pn > 0, pn, 1) / qn), 0)))
    if kl < best_kl - 1e-12: best, best_kl = i, kl
print(json.dumps(best * w))`;
    // A half-normal-like histogram with a long tail (seeded), 64 bins, 16 levels.
    const hist = Array.from({ length: 64 }, (_, i) => Math.round(1000 * Math.exp(-((i / 12) ** 2))) + (i % 7 === 0 ? 3 : 0));
    const expected = pythonJson(script, { hist, nq: 16, w: 0.25 }) as number;
    expect(entropyThreshold(hist, 0.25, 16)).toBeCloseTo(expected, 12);
    expect(expected).toBeLessThan(64 * 0.25);
  });

  it('entropy collector range on signed data is clipped symmetrically and within min/max', () => {
    const values = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i) * (i % 100 === 0 ? 50 : 1));
    const c = entropyCalibration({ bins: 256, quantizedBins: 32 }).collector();
    c.add(values);
    const r = c.range();
    expect(r.max).toBeLessThan(50);
    expect(r.max).toBeGreaterThan(0.5);
    expect(r.min).toBeCloseTo(-r.max, 5);
  });
});
