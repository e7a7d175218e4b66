import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, onCpu, patched, randomData, tensorOf, tf, useWasm, withStockKernels } from './kit.test.shared.js';

beforeAll(useWasm);

const ops = { add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div } as const;

describe('per-channel binary arithmetic', () => {
  for (const [name, f] of Object.entries(ops)) {
    for (const [big, small] of [
      [[8, 6, 5, 12], [12]],
      [[8, 6, 5, 12], [1, 1, 1, 12]],
      [[40, 7], [7]],
      [[40, 7], [1, 7]],
    ] as const) {
      for (const smallFirst of [false, true]) {
        it(`${name} of [${big}] and [${small}] (${smallFirst ? 'vector first' : 'activation first'}) equals the cpu backend and the stock kernel`, async () => {
          const x = randomData([...big], 91);
          const v = randomData([...small], 92);
          // Keep divisors away from zero.
          const divisor = smallFirst ? x.values : v.values;
          if (name === 'div') for (let i = 0; i < divisor.length; i++) divisor[i] = divisor[i]! + (divisor[i]! < 0 ? -2 : 2);
          const op = () => (smallFirst ? f(tensorOf(v), tensorOf(x)) : f(tensorOf(x), tensorOf(v)));
          const got = patched(op);
          expect(tf.tidy(() => op().shape)).toEqual([...big]);
          expectClose(got, withStockKernels(op), 1e-6);
          expectClose(got, await onCpu(op), 1e-6);
        });
      }
    }
  }
});
