import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, onCpu, patched, randomData, tensorOf, tf, useWasm } from '../kit.test.shared.js';
import { kernelUsage } from './runtime.js';

beforeAll(useWasm);

function ortCalls(kernel: string): number {
  return kernelUsage()[kernel]?.ort ?? 0;
}

async function check(kernel: string, op: () => tf.Tensor, inOrt = true): Promise<void> {
  const before = ortCalls(kernel);
  const got = patched(op);
  expect(ortCalls(kernel)).toBe(before + (inOrt ? 1 : 0));
  expectClose(got, await onCpu(op));
}

describe('ORT Tile / Sum / Mean equal the cpu backend', () => {
  const x = randomData([16, 24, 24, 12], 51);
  // Leading axes with a kept width that is not a multiple of 4 (a multiple of 4 runs as SIMD column sums on wasm).
  const x10 = randomData([16, 24, 24, 10], 53);
  it('Tile of [8,24,8,3] by 2,1,3,4 (in ORT)', async () => {
    await check(tf.Tile, () => tf.tile(tensorOf(randomData([8, 24, 8, 3], 52)), [2, 1, 3, 4]));
  });
  // Repeating leading unit axes only: a repeated copy on wasm.
  for (const [shape, reps] of [
    [[1, 1, 1, 12], [16, 24, 24, 1]],
    [[1, 1, 5, 12], [3, 7, 1, 1]],
  ]) {
    it(`Tile of [${shape}] by ${reps} (a repeated copy on wasm)`, async () => {
      await check(tf.Tile, () => tf.tile(tensorOf(randomData(shape!, 52)), reps!), false);
    });
  }
  it('Sum and Mean over every axis (axis null)', async () => {
    await check(tf.Sum, () => tf.sum(tensorOf(x)));
    await check(tf.Mean, () => tf.mean(tensorOf(x)));
  });
  for (const axes of [[0, 1, 2], [1, 2], [3], [0, 3], [-1, 0]]) {
    for (const keepDims of [false, true]) {
      it(`Sum and Mean over ${axes}, keepDims=${keepDims}`, async () => {
        const leading = axes.join() === '0,1,2';
        await check(tf.Sum, () => tf.sum(tensorOf(leading ? x10 : x), axes, keepDims));
        await check(tf.Mean, () => tf.mean(tensorOf(leading ? x10 : x), axes, keepDims));
        if (leading) {
          await check(tf.Sum, () => tf.sum(tensorOf(x), axes, keepDims), false);
          await check(tf.Mean, () => tf.mean(tensorOf(x), axes, keepDims), false);
        }
      });
    }
  }
});

describe('Identity', () => {
  it('shares the data of its input: disposing either leaves the other intact', () => {
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.engine().runKernel(tf.Identity, { x: a }) as tf.Tensor;
    a.dispose();
    expect([...b.dataSync()]).toEqual([1, 2, 3]);
    b.dispose();
  });
});
