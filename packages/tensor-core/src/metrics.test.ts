import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors/config-error.js';
import { accuracy, confusionMatrix, evaluate, expectedCalibrationError, negativeLogLikelihood, topKAccuracy } from './metrics.js';
import { Tensor } from './tensor.js';

// Reference values worked out by hand (and checked with /usr/bin/python3 `math`).

const m = (rows: number[][]): Tensor<'float32'> => Tensor.float32([rows.length, rows[0]!.length], rows.flat());

// Four rows, three classes:
//   [2,1,0] label 0 -> predicted 0 (right)      top-2 {0,1}
//   [0,3,1] label 2 -> predicted 1 (wrong)      top-2 {1,2} contains 2
//   [1,0,5] label 2 -> predicted 2 (right)      top-2 {2,0}
//   [4,4,0] label 1 -> predicted 0 (tie, wrong) top-2 {0,1} contains 1
const logits = m([
  [2, 1, 0],
  [0, 3, 1],
  [1, 0, 5],
  [4, 4, 0],
]);
const labels = Int32Array.of(0, 2, 2, 1);

describe('accuracy, topKAccuracy, confusionMatrix', () => {
  it('accuracy = 2/4', () => {
    expect(accuracy(logits, labels)).toBe(0.5);
  });

  it('top-k accuracy: top-1 = 2/4, top-2 = 4/4, top-3 = 1', () => {
    expect(topKAccuracy(logits, labels, 1)).toBe(0.5);
    expect(topKAccuracy(logits, labels, 2)).toBe(1);
    expect(topKAccuracy(logits, labels, 3)).toBe(1);
  });

  it('confusion matrix has truth on rows and predictions on columns', () => {
    const cm = confusionMatrix(logits, labels);
    expect(cm.dtype).toBe('int32');
    expect(cm.shape).toEqual([3, 3]);
    // truth 0: predicted 0 once; truth 1: predicted 0 once; truth 2: predicted 1 once, 2 once
    expect(Array.from(cm.data)).toEqual([1, 0, 0, 1, 0, 0, 0, 1, 1]);
  });

  it('accuracy is the same from probabilities (argmax is unchanged)', () => {
    expect(accuracy(m([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4]]), Int32Array.of(0, 0, 0))).toBeCloseTo(2 / 3, 12);
  });

  it('rejects labels outside [0, C)', () => {
    expect(() => accuracy(logits, Int32Array.of(0, 2, 3, 1))).toThrow(ConfigError);
    expect(() => confusionMatrix(logits, Int32Array.of(0, -1, 2, 1))).toThrow(/label -1 at row 1 is outside \[0, 3\)/);
  });
});

describe('negativeLogLikelihood', () => {
  it('from logits is the mean cross-entropy', () => {
    // per row lse(z) − z_y: log(1+e⁻¹+e⁻²) = 0.4076060; 2 + log(1+e⁻³+e⁻²) = 2.1698460;
    // log(1+e⁻⁴+e⁻⁵) = 0.0247449; log(2+e⁻⁴) = 0.7022633. Mean = 0.8261150.
    expect(negativeLogLikelihood(logits, labels)).toBeCloseTo(0.82611505, 6);
  });

  it('from probabilities is −mean log p[label], with p = 0 clamped to 1e-30', () => {
    // −(ln 0.5 + ln 0.25) / 2 = (0.6931472 + 1.3862944) / 2 = 1.0397208
    expect(negativeLogLikelihood(m([[0.5, 0.5], [0.75, 0.25]]), Int32Array.of(0, 1), { from: 'probabilities' })).toBeCloseTo(1.03972077, 6);
    // −ln 1e-30 = 69.0775528
    expect(negativeLogLikelihood(m([[1, 0]]), Int32Array.of(1), { from: 'probabilities' })).toBeCloseTo(69.07755279, 4);
  });
});

describe('expectedCalibrationError (Guo et al. 2017)', () => {
  // Five two-class rows as probabilities: confidence and correctness
  //   0.90 right, 0.85 wrong, 0.70 right, 0.65 wrong, 0.55 right
  const probs = m([
    [0.9, 0.1],
    [0.85, 0.15],
    [0.3, 0.7],
    [0.65, 0.35],
    [0.45, 0.55],
  ]);
  const y = Int32Array.of(0, 1, 1, 1, 1);

  it('15 bins: every row in its own bin', () => {
    // bins (13/15,14/15], (12/15,13/15], (10/15,11/15], (9/15,10/15], (8/15,9/15]:
    // ECE = (|1−.9| + |0−.85| + |1−.7| + |0−.65| + |1−.55|) / 5 = 2.35 / 5 = 0.47
    expect(expectedCalibrationError(probs, y, { from: 'probabilities' })).toBeCloseTo(0.47, 6);
  });

  it('5 bins: rows share bins', () => {
    // (.8,1]: {.9 right, .85 wrong} acc .5, conf .875 -> 2/5·.375 = .15
    // (.6,.8]: {.7 right, .65 wrong} acc .5, conf .675 -> 2/5·.175 = .07
    // (.4,.6]: {.55 right}           acc 1,  conf .55  -> 1/5·.45  = .09      ECE = 0.31
    expect(expectedCalibrationError(probs, y, { from: 'probabilities', bins: 5 })).toBeCloseTo(0.31, 6);
  });

  it('gives the same from logits = log(p)', () => {
    const asLogits = new Tensor('float32', probs.shape, probs.data.map(Math.log));
    expect(expectedCalibrationError(asLogits, y)).toBeCloseTo(0.47, 6);
    expect(expectedCalibrationError(asLogits, y, { bins: 5 })).toBeCloseTo(0.31, 6);
  });

  it('bins are closed on the right: confidence 0.5 falls in (0, 0.5] with 2 bins', () => {
    // row 1: conf .5, argmax 0 (tie) = label -> bin (0,.5]: 1/2·|1 − .5| = .25; row 2: conf 1, right -> 0
    expect(expectedCalibrationError(m([[0.5, 0.5], [1, 0]]), Int32Array.of(0, 0), { from: 'probabilities', bins: 2 })).toBeCloseTo(0.25, 12);
  });

  it('is 0 when confidence equals accuracy in every bin', () => {
    // four rows at confidence .75, three right: |.75 − .75| = 0
    const p = m([[0.75, 0.25], [0.75, 0.25], [0.75, 0.25], [0.75, 0.25]]);
    expect(expectedCalibrationError(p, Int32Array.of(0, 0, 0, 1), { from: 'probabilities' })).toBeCloseTo(0, 12);
  });

  it('rejects a bad bin count', () => {
    expect(() => expectedCalibrationError(probs, y, { bins: 0 })).toThrow(/bins: must be a positive integer, got 0/);
  });
});

describe('evaluate', () => {
  it('returns accuracy, nll, ece and the sample count', () => {
    const r = evaluate(logits, labels);
    expect(r.accuracy).toBe(0.5);
    expect(r.nll).toBeCloseTo(0.82611505, 6);
    expect(r.ece).toBeCloseTo(expectedCalibrationError(logits, labels), 12);
    expect(r.samples).toBe(4);
    // By hand: confidences softmax max = .6652410 (row 0, right), .8437947 (row 1, wrong),
    // .9756 (row 2, right: 1/(1+e⁻⁴+e⁻⁵)), .4955 (row 3, wrong: 1/(2+e⁻⁴)); all in different bins:
    // ECE = (|1−.66524| + |0−.84379| + |1−.97556| + |0−.49546|) / 4
    const ece = (1 - 0.66524096 + 0.84379473 + (1 - 0.97555875) + 0.49546264) / 4;
    expect(r.ece).toBeCloseTo(ece, 6);
  });
});
