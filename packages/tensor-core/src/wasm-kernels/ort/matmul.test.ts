import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, expectNoLeaks, onCpu, patched, randomData, tensorOf, tf, useWasm } from '../kit.test.shared.js';
import { loadOrt } from './native.js';
import { kernelUsage, kernelUsageSince, ortSessionStats } from './runtime.js';

beforeAll(useWasm);

/** Deterministic pseudo-random integers for shapes. */
function shapeRng(seed: number): (lo: number, hi: number) => number {
  let s = seed;
  return (lo, hi) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return lo + (s % (hi - lo + 1));
  };
}

function ortCalls(kernel: string): number {
  return kernelUsage()[kernel]?.ort ?? 0;
}

describe('ORT matrix products', () => {
  it('onnxruntime-node loads (it is a dev dependency)', () => {
    expect(loadOrt()).not.toBeNull();
  });

  const rng = shapeRng(11);
  for (let trial = 0; trial < 6; trial++) {
    const m = rng(64, 160);
    const k = rng(64, 200);
    const n = rng(64, 150);
    const batched = trial % 3;
    const batchA = batched === 0 ? [] : batched === 1 ? [rng(2, 3)] : trial < 3 ? [2, 3] : [1];
    const batchB = batched === 0 ? [] : batched === 1 ? [] : trial < 3 ? [2, 3] : [3];
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      it(`BatchMatMul [${batchA}] ${m}x${k} · [${batchB}] ${k}x${n}, transposeA=${ta} transposeB=${tb}: runs in ORT, equals the cpu backend`, async () => {
        const a = randomData([...batchA, ...(ta ? [k, m] : [m, k])], trial * 10 + 1);
        const b = randomData([...batchB, ...(tb ? [n, k] : [k, n])], trial * 10 + 2);
        const op = () => tf.matMul(tensorOf(a), tensorOf(b), ta, tb);
        const before = ortCalls(tf.BatchMatMul);
        const got = patched(op);
        expect(ortCalls(tf.BatchMatMul)).toBe(before + 1);
        expectClose(got, await onCpu(op));
      });
    }
  }

  for (const activation of ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const) {
    for (const [ta, tb] of [
      [false, false],
      [true, true],
    ] as const) {
      it(`_FusedMatMul with bias and ${activation}, transposeA=${ta} transposeB=${tb}: runs in ORT, equals the cpu backend`, async () => {
        const [m, k, n] = [96, 80, 72];
        const a = randomData(ta ? [k, m] : [m, k], 5);
        const b = randomData(tb ? [n, k] : [k, n], 6);
        const bias = randomData([n], 7);
        const alpha = randomData([n], 8);
        const op = () =>
          tf.fused.matMul({
            a: tensorOf(a),
            b: tensorOf(b),
            transposeA: ta,
            transposeB: tb,
            bias: tensorOf(bias),
            activation,
            ...(activation === 'prelu' ? { preluActivationWeights: tensorOf(alpha) } : {}),
            ...(activation === 'leakyrelu' ? { leakyreluAlpha: 0.15 } : {}),
          });
        const before = ortCalls(tf._FusedMatMul);
        const got = patched(op);
        expect(ortCalls(tf._FusedMatMul)).toBe(before + 1);
        expectClose(got, await onCpu(op));
      });
    }
  }

  it('kernelUsageSince (the training history field) counts the calls made since a snapshot', () => {
    const snapshot = kernelUsage();
    expect(kernelUsageSince(snapshot)).toBeUndefined();
    patched(() => tf.matMul(tf.ones([128, 96]), tf.ones([96, 80])));
    patched(() => tf.matMul(tf.ones([4, 4]), tf.ones([4, 4])));
    expect(kernelUsageSince(snapshot)).toEqual({ [tf.BatchMatMul]: { ort: 1, wasm: 1 } });
  });

  it('products below the threshold stay on wasm', () => {
    const before = kernelUsage()[tf.BatchMatMul]?.wasm ?? 0;
    patched(() => tf.matMul(tf.ones([8, 8]), tf.ones([8, 8])));
    expect(kernelUsage()[tf.BatchMatMul]?.wasm).toBe(before + 1);
  });

  it('1,000 Dense training steps leak neither tensors nor wasm buffers, and create one session per signature', () => {
    const x = tf.randomNormal([128, 96], 0, 1, 'float32', 1);
    const w = tf.variable(tf.randomNormal([96, 80], 0, 0.1, 'float32', 2));
    const optimizer = tf.train.sgd(0.01);
    // One step first: the optimizer keeps its learning rate as a tensor.
    optimizer.minimize(() => tf.mean(tf.square(tf.relu(tf.matMul(x, w)))), false, [w])?.dispose();
    const created = ortSessionStats()!.created;
    expectNoLeaks(() => {
      for (let i = 0; i < 1000; i++) {
        optimizer.minimize(() => tf.mean(tf.square(tf.relu(tf.matMul(x, w)))), false, [w])?.dispose();
      }
    });
    // Forward a·w, backward dy·wᵀ and xᵀ·dy: their sessions were made in the first step.
    expect(ortSessionStats()!.created - created).toBe(0);
    tf.dispose([x, w]);
    optimizer.dispose();
  });
});
