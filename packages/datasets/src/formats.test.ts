import { ConfigError, type Model, predictBatched, Tensor } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { dataForms, openData } from './index.js';
import { materialiseSplits } from './materialise.test.util.js';
import { loadMnist } from './mnist.js';

describe('openData', () => {
  it('opens mnist as Datasets holding the same examples and labels as loadMnist', async () => {
    const { train, test } = await openData('mnist');
    const ref = await materialiseSplits(await loadMnist());
    expect(train.size).toBe(ref.train.y.length);
    expect(test.labels).toEqual(ref.test.y);
    expect(test.classNames).toEqual(ref.test.classNames);
    expect(test.exampleShape).toEqual([28, 28, 1]);
    const rows = await test.read([0, 5]);
    expect(rows.data.subarray(0, 784)).toEqual(ref.test.x.data.subarray(0, 784));
    expect(rows.data.subarray(784)).toEqual(ref.test.x.data.subarray(5 * 784, 6 * 784));
    // A model that sums its input: predictBatched sees every row once, in order.
    const sum: Model = {
      name: 'sum', inputShape: [null, 784], numClasses: 1, dispose() {},
      async predict(x) {
        const n = x.shape[0]!;
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) for (let j = 0; j < 784; j++) out[i]! += x.data[i * 784 + j]!;
        return new Tensor('float32', [n, 1], out);
      },
    };
    const sums = await predictBatched(sum, test, { batchSize: 333 });
    let expected = 0;
    for (let j = 0; j < 784; j++) expected += ref.test.x.data[(test.size - 1) * 784 + j]!;
    expect(sums.data[test.size - 1]).toBeCloseTo(expected, 3);
  });

  it('refuses an unknown prefix, listing the registered forms', async () => {
    await expect(openData('parquet:x')).rejects.toSatisfy((e) => ConfigError.isInstance(e) && (e as Error).message.includes('idx:TRAIN_IMAGES'));
    expect(dataForms()).toContain('fashion-mnist:DIR');
  });
});
