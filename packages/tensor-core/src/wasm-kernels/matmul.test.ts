import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, onCpu, patched, randomData, tensorOf, tf, useWasm, withStockKernels } from './kit.test.shared.js';

beforeAll(useWasm);

const combos = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** Operand shapes for a·b with the given transposes: batch dims of a and b, and m, k, n. */
function operands(batchA: number[], batchB: number[], m: number, k: number, n: number, ta: boolean, tb: boolean, seed: number) {
  const a = randomData([...batchA, ...(ta ? [k, m] : [m, k])], seed);
  const b = randomData([...batchB, ...(tb ? [n, k] : [k, n])], seed + 1);
  return { a, b };
}

const shapes: { name: string; batchA: number[]; batchB: number[]; m: number; k: number; n: number }[] = [
  { name: '2-D', batchA: [], batchB: [], m: 33, k: 47, n: 29 },
  { name: 'Dense backprop sized', batchA: [], batchB: [], m: 128, k: 96, n: 64 },
  { name: 'batched, equal batches', batchA: [3], batchB: [3], m: 17, k: 31, n: 23 },
  { name: 'batched a, one batch of b', batchA: [4], batchB: [1], m: 17, k: 31, n: 23 },
  { name: 'batched a, rank-2 b', batchA: [2, 3], batchB: [], m: 17, k: 31, n: 23 },
  { name: 'one batch of a, batched b', batchA: [1], batchB: [3], m: 17, k: 31, n: 23 },
  { name: 'rank 4 both', batchA: [2, 2], batchB: [2, 2], m: 19, k: 21, n: 25 },
  { name: 'tiny (stays on the stock kernel)', batchA: [], batchB: [], m: 3, k: 4, n: 5 },
];

describe('BatchMatMul (patched)', () => {
  for (const s of shapes) {
    for (const [ta, tb] of combos) {
      it(`${s.name}, transposeA=${ta} transposeB=${tb}: equals the stock wasm kernel and the cpu backend, no leaks`, async () => {
        const { a, b } = operands(s.batchA, s.batchB, s.m, s.k, s.n, ta, tb, 7);
        const op = () => tf.matMul(tensorOf(a), tensorOf(b), ta, tb);
        const got = patched(op);
        const expectedShape = tf.tidy(() => op().shape);
        expect(expectedShape.slice(-2)).toEqual([s.m, s.n]);
        expectClose(got, withStockKernels(op));
        expectClose(got, await onCpu(op));
      });
    }
  }

  it('throws on mismatched inner dimensions, naming both shapes', () => {
    const a = tf.zeros([20, 30]);
    const b = tf.zeros([31, 20]);
    expect(() => tf.matMul(a, b)).toThrow(/30.*31|inner/);
    tf.dispose([a, b]);
  });

  it('gradients through matMul (which use transposed products) equal the cpu backend', async () => {
    const a = randomData([64, 48], 3);
    const b = randomData([48, 40], 4);
    const f = () => {
      const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y))))([tensorOf(a), tensorOf(b)]);
      return tf.concat([tf.reshape(ga!, [-1]), tf.reshape(gb!, [-1])]);
    };
    expectClose(patched(f), await onCpu(f));
  });
});

describe('_FusedMatMul (patched)', () => {
  const activations = [
    { activation: 'linear' as const },
    { activation: 'relu' as const },
    { activation: 'relu6' as const },
    { activation: 'sigmoid' as const },
    { activation: 'elu' as const },
    { activation: 'leakyrelu' as const, leakyreluAlpha: 0.15 },
    { activation: 'prelu' as const },
  ];
  for (const s of shapes.filter((x) => x.name !== 'rank 4 both')) {
    for (const [ta, tb] of combos) {
      for (const act of activations) {
        const withBias = act.activation !== 'elu';
        it(`${s.name}, transposeA=${ta} transposeB=${tb}, ${act.activation}${withBias ? ' + bias' : ''}: equals stock and cpu`, async () => {
          const { a, b } = operands(s.batchA, s.batchB, s.m, s.k, s.n, ta, tb, 11);
          const bias = randomData([s.n], 13);
          const alpha = randomData([s.n], 17);
          const op = () =>
            tf.fused.matMul({
              a: tensorOf(a),
              b: tensorOf(b),
              transposeA: ta,
              transposeB: tb,
              ...(withBias ? { bias: tensorOf(bias) } : {}),
              activation: act.activation,
              ...(act.activation === 'prelu' ? { preluActivationWeights: tensorOf(alpha) } : {}),
              ...(act.leakyreluAlpha !== undefined ? { leakyreluAlpha: act.leakyreluAlpha } : {}),
            });
          const got = patched(op);
          expectClose(got, await onCpu(op));
          // The stock kernel is only right without bias or for plain 2-D products (see the tests below).
          const plain2d = !(ta || tb) && s.batchA.length === 0 && s.batchB.length === 0;
          if (plain2d || !withBias) expectClose(got, withStockKernels(op));
        });
      }
    }
  }

  it('adds the bias per output column with a transposed operand (hand-computed; the stock kernel gets it wrong)', () => {
    // aᵀ = [[1,3,5],[2,4,6]], bᵀ = [[1,0],[0,1],[2,3]]: aᵀ·bᵀ = [[11,18],[14,22]], + bias [10, 20].
    const op = () =>
      tf.fused.matMul({
        a: tf.tensor2d([
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
        b: tf.tensor2d([
          [1, 0, 2],
          [0, 1, 3],
        ]),
        transposeA: true,
        transposeB: true,
        bias: tf.tensor1d([10, 20]),
      });
    expect(Array.from(patched(op))).toEqual([21, 38, 24, 42]);
    expect(Array.from(withStockKernels(op))).not.toEqual([21, 38, 24, 42]);
  });

  it('adds the bias per output column with several batches (hand-computed; the stock kernel gets it wrong)', () => {
    // Batch 0: [[1,2]]·I = [[1,2]]; batch 1: [[3,4]]·I = [[3,4]]; + bias [10, 20].
    const op = () =>
      tf.fused.matMul({
        a: tf.tensor3d([[[1, 2]], [[3, 4]]]),
        b: tf.tensor3d([
          [
            [1, 0],
            [0, 1],
          ],
          [
            [1, 0],
            [0, 1],
          ],
        ]),
        bias: tf.tensor1d([10, 20]),
      });
    expect(Array.from(patched(op))).toEqual([11, 22, 13, 24]);
  });
});
