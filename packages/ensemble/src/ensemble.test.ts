import { Dataset, type Model, Tensor } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import type { EnsembleEvent } from './driver.js';
import { createEnsemble } from './ensemble.js';
import { AggregatorFitError } from './errors/aggregator-fit-error.js';
import { MemberMismatchError } from './errors/member-mismatch-error.js';
import { EnsembleServingError } from './errors/serving-error.js';
import { buildFusedModel } from './serve.js';

/** A plain-JS member: logits = x·W for 2-feature inputs, 2 classes. */
function linearMember(name: string, W: [number, number, number, number], inputShape: (number | null)[] = [null, 2], numClasses = 2): Model {
  return {
    name,
    inputShape,
    numClasses,
    async predict(x) {
      const n = x.shape[0]!;
      const out = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) {
        const a = x.data[i * 2]!;
        const b = x.data[i * 2 + 1]!;
        out[i * 2] = a * W[0] + b * W[2];
        out[i * 2 + 1] = a * W[1] + b * W[3];
      }
      return new Tensor('float32', [n, 2], out);
    },
    dispose() {},
  };
}

describe('createEnsemble', () => {
  // Member a predicts class 0 for x = (1, 0) and class 1 for (0, 1); member b always the reverse.
  const a = linearMember('a', [2, 0, 0, 2]);
  const b = linearMember('b', [0, 1, 1, 0]);
  const x = Tensor.float32([2, 2], [1, 0, 0, 1]);
  const y = Int32Array.of(0, 1);
  const data = Dataset.fromArrays(x, y, { name: 'xy', numClasses: 2 });

  it('runs the members on the validation data to fit, and reports progress as tagged events', async () => {
    const events: EnsembleEvent['type'][] = [];
    const ensemble = await createEnsemble([a, b], { aggregator: 'accuracy-weighted', validation: data, onEvent: (e) => events.push(e.type) });
    // a is right on both rows, b on neither: w = (1, 0).
    expect(ensemble.aggregator.weights).toEqual([1, 0]);
    expect(events).toEqual(['predict']);
    const p = await ensemble.predict(x);
    expect(p.data[0]).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 1), 6);
    const report = await ensemble.evaluate(data);
    expect(report.ensemble.accuracy).toBe(1);
    expect(report.members.map((m) => m.accuracy)).toEqual([1, 0]);
    expect(report.disagreement[0]![1]).toBe(1);
  });

  it('accepts a plugin object directly and refuses fitting aggregators without validation data', async () => {
    const ensemble = await createEnsemble([a, b], {
      aggregator: { name: 'second', description: 'member 1 alone', requiresValidation: false, fit: ({ numClasses }) => ({ name: 'second', weights: [0, 1], notes: [], combine: (l) => l[1]!, toJSON: () => ({ name: 'second', numClasses }) }) },
    });
    expect(ensemble.aggregator.name).toBe('second');
    await expect(createEnsemble([a, b], { aggregator: 'stacking' })).rejects.toThrow(AggregatorFitError);
  });

  it('refuses members that do not agree, naming the member', async () => {
    await expect(createEnsemble([a, linearMember('c.onnx', [1, 0, 0, 1], [null, 3])])).rejects.toThrow(MemberMismatchError);
    await expect(createEnsemble([a, linearMember('c.onnx', [1, 0, 0, 1], [null, 2], 3)])).rejects.toThrow(/ensemble member 1 \(c\.onnx\): class count/);
  });

  it('cannot fuse an aggregator that has no ONNX form', async () => {
    const ensemble = await createEnsemble([a, b], {
      aggregator: { name: 'js-only', description: '', requiresValidation: false, fit: () => ({ name: 'js-only', weights: null, notes: [], combine: (l) => l[0]!, toJSON: () => ({}) }) },
    });
    expect(() => buildFusedModel([], ensemble.aggregator, [null, 2], 2)).toThrow(EnsembleServingError);
    expect(() => buildFusedModel([], ensemble.aggregator, [null, 2], 2)).toThrow(/aggregator "js-only" has no ONNX form; serve it in sessions mode/);
  });
});
