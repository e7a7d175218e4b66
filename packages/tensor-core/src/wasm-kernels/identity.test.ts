import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks, randomData, tensorOf, tf, useWasm } from './kit.test.shared.js';

beforeAll(useWasm);

describe('Cast to the same dtype shares its input', () => {
  it('float32 -> float32: same values, no new buffer, both tensors disposable in any order', () => {
    const d = randomData([4, 5, 6, 3], 71);
    expectNoLeaks(() => {
      const x = tensorOf(d);
      const buffers = tf.engine().backend.numDataIds();
      const y = tf.engine().runKernel(tf.Cast, { x }, { dtype: 'float32' }) as tf.Tensor;
      // Shared data: no wasm buffer added for y.
      expect(tf.engine().backend.numDataIds()).toBe(buffers);
      x.dispose();
      expect(Array.from(y.dataSync())).toEqual(Array.from(d.values));
      y.dispose();
    });
  });

  it('other casts still convert: float32 -> int32 truncates, bool -> float32 gives 0/1', () => {
    expectNoLeaks(() => {
      const x = tf.tensor1d([1.7, -2.2, 0, 3.9]);
      const i = tf.cast(x, 'int32');
      expect(i.dtype).toBe('int32');
      expect(Array.from(i.dataSync())).toEqual([1, -2, 0, 3]);
      const b = tf.tensor1d([true, false, true], 'bool');
      const f = tf.cast(b, 'float32');
      expect(Array.from(f.dataSync())).toEqual([1, 0, 1]);
      tf.dispose([x, i, b, f]);
    });
  });
});
