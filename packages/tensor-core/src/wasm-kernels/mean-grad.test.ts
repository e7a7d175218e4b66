import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, kernelsOf, onCpu, patched, randomData, tensorOf, tf, useWasm } from './kit.test.shared.js';

beforeAll(useWasm);

describe("Mean's gradient over leading axes", () => {
  const x = randomData([6, 5, 4, 8], 81);
  const w = randomData([8], 82);
  const cases: { axis: number[]; keepDims: boolean; fast: boolean }[] = [
    { axis: [0, 1, 2], keepDims: false, fast: true },
    { axis: [2, 0, 1], keepDims: true, fast: true },
    { axis: [0], keepDims: false, fast: true },
    { axis: [1, 2], keepDims: false, fast: false },
    { axis: [3], keepDims: true, fast: false },
  ];
  for (const { axis, keepDims, fast } of cases) {
    it(`axis [${axis}], keepDims ${keepDims}: equals the cpu backend${fast ? ', one Tile and no Fill' : ' (tfjs gradient)'}`, async () => {
      // A weighted sum of the means (weights along the last axis) makes every gradient entry differ by channel.
      const op = () =>
        tf.grad((v: tf.Tensor) => {
          const m = tf.mean(v, axis, keepDims);
          return tf.sum(tf.mul(m, m.shape[m.rank - 1] === 8 ? tensorOf(w) : tf.scalar(1.5)));
        })(tensorOf(x));
      let got: ArrayLike<number> = [];
      const calls = kernelsOf(() => {
        got = patched(op);
      });
      expectClose(got, await onCpu(op));
      if (fast) {
        expect(calls).toContain('Tile');
        expect(calls).not.toContain('Fill');
      } else {
        expect(calls).not.toContain('Tile');
      }
    });
  }
});
