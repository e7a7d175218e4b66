import { describe, expect, it } from 'vitest';
import { DataError } from '../errors/data-error.js';
import type { Model } from '../model.js';
import { Tensor } from '../tensor.js';
import { Dataset, UNLABELLED } from './dataset.js';
import { type EvaluateEvent, evaluate } from './evaluate.js';

/** A 3-class model whose logits are the example's 3 features. */
const identity: Model = { name: 'identity', inputShape: [null, 3], numClasses: 3, predict: async (x) => x as Tensor<'float32'>, dispose() {} };

describe('evaluate (driver)', () => {
  it('scores the labelled examples a batch at a time; accuracy, per-class accuracy and NLL by hand', async () => {
    // Predicted classes 0, 1, 2, 2, 0; labels 0, 1, 1, -, 0 (row 3 unlabelled).
    const x = Tensor.float32([5, 3], [5, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 5, 5, 0, 0]);
    const data = Dataset.fromArrays(x, Int32Array.of(0, 1, 1, UNLABELLED, 0), { name: 'five', numClasses: 3, classNames: ['a', 'b', 'c'] });
    const events: EvaluateEvent[] = [];
    const { model, report } = await evaluate({ model: identity, data, batchSize: 2, onEvent: (e) => events.push(e) });
    expect(model).toBe(identity);
    expect(report.samples).toBe(4);
    expect(report.accuracy).toBe(3 / 4);
    expect(report.perClassAccuracy).toEqual([1, 1 / 2, null]);
    expect(report.classNames).toEqual(['a', 'b', 'c']);
    // NLL: right rows -log softmax(5,0,0)[0]; the wrong row -log softmax(0,0,5)[1].
    const right = -Math.log(Math.exp(5) / (Math.exp(5) + 2));
    const wrong = -Math.log(1 / (Math.exp(5) + 2));
    expect(report.nll).toBeCloseTo((3 * right + wrong) / 4, 5);
    expect(events.map((e) => (e.type === 'predict' ? e.done : e.type))).toEqual([2, 4, 'done']);
  });

  it('refuses data with another number of classes than the model, before predicting', async () => {
    const data = Dataset.fromArrays(Tensor.float32([1, 3], [1, 2, 3]), Int32Array.of(3), { name: 'four' });
    const error = await evaluate({ model: identity, data }).catch((e: unknown) => e);
    expect(DataError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe('four: the data has 4 classes but model identity outputs 3');
  });

  it('still scores logits against labels in its two-argument form', () => {
    const r = evaluate(Tensor.float32([2, 2], [1, 0, 0, 1]), Int32Array.of(0, 0));
    expect(r.accuracy).toBe(0.5);
    expect(r.samples).toBe(2);
  });
});
