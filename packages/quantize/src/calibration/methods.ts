import { ConfigError, Registry } from '@shrinkray/tensor-core';
import { AbsHistogram } from './histogram.js';

/** The real range a calibration method chose for one tensor. */
export interface CalibrationRange {
  min: number;
  max: number;
}

/** Receives every value a tensor takes on the calibration data, batch by batch, then picks its range. */
export interface RangeCollector {
  add(values: Float32Array): void;
  range(): CalibrationRange;
}

/**
 * A calibration method: how the quantization range of an activation is chosen from the values it
 * takes on the calibration data. Built-ins are `minmax`, `percentile` and `entropy`; plugins register
 * more in `calibrationMethods`.
 */
export interface CalibrationMethod {
  readonly name: string;
  readonly description: string;
  /** A fresh collector for one tensor. */
  collector(): RangeCollector;
}

/** `minmax`: the smallest and largest value seen. */
export const minmaxCalibration: CalibrationMethod = Object.freeze({
  name: 'minmax',
  description: 'the smallest and largest value seen',
  collector(): RangeCollector {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    return {
      add(values) {
        for (let i = 0; i < values.length; i++) {
          const v = values[i]!;
          if (v < min) min = v;
          if (v > max) max = v;
        }
      },
      range: () => (min <= max ? { min, max } : { min: 0, max: 0 }),
    };
  },
});

/**
 * The percentile threshold of a histogram of absolute values: the upper edge of the first bin at
 * which the cumulative count reaches `percentile`% of all values.
 */
export function percentileThreshold(counts: ArrayLike<number>, binWidth: number, percentile: number): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return 0;
  const target = (percentile / 100) * total * (1 - 1e-12);
  let sum = 0;
  for (let i = 0; i < counts.length; i++) {
    sum += counts[i]!;
    if (sum >= target) return (i + 1) * binWidth;
  }
  return counts.length * binWidth;
}

/** Options of the percentile method. */
export interface PercentileOptions {
  /** Share of absolute values kept inside the range, in percent (default 99.999). */
  percentile?: number;
  /** Histogram bins (default 2048). */
  bins?: number;
}

/** `percentile`: clips the largest absolute values, keeping `percentile`% of them inside the range. */
export function percentileCalibration(options: PercentileOptions = {}): CalibrationMethod {
  const percentile = options.percentile ?? 99.999;
  const bins = options.bins ?? 2048;
  if (!(percentile > 0 && percentile <= 100)) throw new ConfigError('calibration percentile', `must be in (0, 100], got ${percentile}`);
  return Object.freeze({
    name: 'percentile',
    description: `the ${percentile}th percentile of absolute values (histogram of ${bins} bins)`,
    collector(): RangeCollector {
      const h = new AbsHistogram(bins);
      return { add: (v) => h.add(v), range: () => h.clip(percentileThreshold(h.counts, h.binWidth, percentile)) };
    },
  });
}

/**
 * Kullback-Leibler divergence `sum p log(p / q)` of two count vectors after normalising each to sum 1;
 * bins where `p` is 0 contribute nothing, bins where `p > 0` and `q` is 0 count with `q = 1e-10`.
 */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!;
    sq += q[i]!;
  }
  if (sp === 0 || sq === 0) return Number.POSITIVE_INFINITY;
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp;
    if (pi === 0) continue;
    const qi = Math.max(q[i]! / sq, 1e-10);
    kl += pi * Math.log(pi / qi);
  }
  return kl;
}

/**
 * TensorRT's entropy calibration on a histogram of absolute values. The count of the first bin is
 * replaced by the second's (as NVIDIA's pytorch-quantization does), so a spike of zeros (ReLU outputs,
 * image backgrounds) does not pull the threshold down. Then, for every candidate number of
 * bins `i` from `quantizedBins` to `counts.length`, the reference distribution P is the first `i` bins
 * with the count beyond them added to bin `i-1`; the candidate Q merges those `i` bins into
 * `quantizedBins` groups of `floor(i / quantizedBins)` (the last group takes the rest) and spreads each
 * group's count evenly over its bins where P is non-zero. Returns the upper edge `i * binWidth` of the
 * `i` with the smallest KL(P || Q) (the smallest such `i` on ties).
 */
export function entropyThreshold(histogram: ArrayLike<number>, binWidth: number, quantizedBins = 128): number {
  const counts = Float64Array.from(histogram);
  if (counts.length > 1) counts[0] = counts[1]!;
  const n = counts.length;
  if (n <= quantizedBins) return n * binWidth;
  let best = n;
  let bestKl = Number.POSITIVE_INFINITY;
  const suffix = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + counts[i]!;
  for (let i = quantizedBins; i <= n; i++) {
    const p = new Float64Array(i);
    for (let k = 0; k < i; k++) p[k] = counts[k]!;
    p[i - 1]! += suffix[i]!;
    const q = new Float64Array(i);
    const merged = Math.floor(i / quantizedBins);
    for (let j = 0; j < quantizedBins; j++) {
      const start = j * merged;
      const stop = j === quantizedBins - 1 ? i : start + merged;
      let sum = 0;
      let nonzero = 0;
      for (let k = start; k < stop; k++) {
        sum += counts[k]!;
        if (p[k]! !== 0) nonzero++;
      }
      if (nonzero === 0) continue;
      for (let k = start; k < stop; k++) if (p[k]! !== 0) q[k] = sum / nonzero;
    }
    const kl = klDivergence(p, q);
    if (kl < bestKl - 1e-12) {
      bestKl = kl;
      best = i;
    }
  }
  return best * binWidth;
}

/** Options of the entropy method. */
export interface EntropyOptions {
  /** Histogram bins (default 2048). */
  bins?: number;
  /** Levels the candidate distributions are quantized to (default 128, int8's positive half; doubled for a tensor that is never negative). */
  quantizedBins?: number;
}

/** `entropy`: the range whose int8 version loses the least information (KL divergence, as TensorRT). */
export function entropyCalibration(options: EntropyOptions = {}): CalibrationMethod {
  const bins = options.bins ?? 2048;
  const quantizedBins = options.quantizedBins ?? 128;
  return Object.freeze({
    name: 'entropy',
    description: `minimum KL divergence between the ${bins}-bin histogram and its ${quantizedBins}-level quantization`,
    collector(): RangeCollector {
      const h = new AbsHistogram(bins);
      return { add: (v) => h.add(v), range: () => h.clip(entropyThreshold(h.counts, h.binWidth, h.min >= 0 ? 2 * quantizedBins : quantizedBins)) };
    },
  });
}

/** The built-in calibration methods; the package entry point registers them in `calibrationMethods`. */
export const builtinCalibrationMethods: readonly CalibrationMethod[] = Object.freeze([minmaxCalibration, percentileCalibration(), entropyCalibration()]);

/**
 * Calibration methods by name (`--calibration`), on the process-wide `Registry.shared('calibration')`
 * (one per process even with two installed copies). Plugins register more with
 * `calibrationMethods.register(method)`.
 */
export const calibrationMethods = Registry.shared<CalibrationMethod>('calibration', 'calibration method');

/**
 * Registers the built-in calibration methods (names already taken, e.g. by a second installed copy,
 * stay as they are). The package entry point calls this on import; `@shrinkray/quantize/base` does not.
 */
export function registerQuantizeBuiltins(): void {
  calibrationMethods.registerBuiltins(builtinCalibrationMethods, (m) => m.name);
}
