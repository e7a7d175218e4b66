import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, onCpu, patched, randomData, tensorOf, tf, useWasm, withStockKernels } from './kit.test.shared.js';

beforeAll(useWasm);

describe('FusedBatchNorm (patched)', () => {
  for (const [shape, withScale, withOffset] of [
    [[8, 6, 5, 12], true, true],
    [[8, 6, 5, 12], false, true],
    [[30, 16], true, false],
    [[6, 5, 5, 7], true, true], // channels not a multiple of 4: the stock kernel
  ] as const) {
    it(`[${shape}]${withScale ? '' : ', no scale'}${withOffset ? '' : ', no offset'}: equals the cpu backend and the stock kernel, no leaks`, async () => {
      const c = shape[shape.length - 1]!;
      const x = randomData([...shape], 21);
      const mean = randomData([c], 22);
      const variance = { shape: [c], values: randomData([c], 23).values.map((v) => Math.abs(v) + 0.1) };
      const scale = randomData([c], 24);
      const offset = randomData([c], 25);
      const op = () => tf.batchNorm(tensorOf(x), tensorOf(mean), tensorOf(variance), withOffset ? tensorOf(offset) : undefined, withScale ? tensorOf(scale) : undefined, 1e-3);
      const got = patched(op);
      expect(got.length).toBe(x.values.length);
      expectClose(got, await onCpu(op), 1e-5);
      expectClose(got, withStockKernels(op), 1e-5);
    });
  }
});
