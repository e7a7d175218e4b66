import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, onCpu, patched, randomData, tensorOf, tf, useWasm, withStockKernels } from './kit.test.shared.js';

beforeAll(useWasm);

describe("ReLU's gradient as one kernel", () => {
  // 4·n elements (SIMD only) and 4·n + 3 (SIMD plus scalar tail).
  for (const shape of [
    [8, 6, 5, 12],
    [7, 11],
  ]) {
    it(`[${shape}]: equals the cpu backend and the stock kernels, in one kernel call, no leaks`, async () => {
      const x = randomData(shape, 31);
      const dy = randomData(shape, 32);
      // Exact zeros in x: the gradient there is 0 (tfjs' step(0) = 0).
      for (let i = 0; i < x.values.length; i += 9) x.values[i] = 0;
      const op = () => {
        const xt = tensorOf(x);
        return tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), tensorOf(dy))))(xt);
      };
      const calls: string[] = [];
      const run = tf.engine().runKernel.bind(tf.engine());
      tf.engine().runKernel = (name, inputs, attrs) => {
        calls.push(name);
        return run(name, inputs, attrs);
      };
      let got: ArrayLike<number>;
      try {
        got = patched(op);
      } finally {
        tf.engine().runKernel = run;
      }
      expect(calls).toContain('ShrinkrayReluGrad');
      expect(calls).not.toContain('Step');
      expectClose(got, await onCpu(op), 1e-6);
      expectClose(got, withStockKernels(op), 1e-6);
    });
  }
});
