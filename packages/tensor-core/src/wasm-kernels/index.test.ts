import { afterEach, describe, expect, it } from 'vitest';
import { applyWasmTrainingKernels, ORT_KERNELS_ENV, removeWasmTrainingKernels, WASM_KERNELS_ENV, wasmTrainingKernels } from './index.js';
import { tf, useWasm } from './kit.test.shared.js';

const WASM_ONLY = ['BatchMatMul', '_FusedMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'MaxPoolGrad', 'Sum', 'Mean', 'Transpose', 'Identity', 'Cast', 'Add', 'Sub', 'Multiply', 'RealDiv', 'ShrinkrayReluGrad', 'ShrinkrayBatchNormGrad', 'Tile', 'FusedBatchNorm'];
const IN_ORT = [
  'BatchMatMul',
  '_FusedMatMul',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'Conv2D',
  'FusedConv2D',
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2D',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'Sum',
  'Tile',
  'Mean',
];
// onnxruntime-node is a dev dependency: the ORT kernels (and the fused optimizer updates that come with them) are in use in these tests.
const PATCHED = [...new Set([...WASM_ONLY, ...IN_ORT, 'ShrinkrayFusedAdam', 'ShrinkrayFusedMomentum', 'ShrinkrayBatchNormTraining', 'ShrinkrayBatchNormTrainingGrad'])];

describe('applyWasmTrainingKernels / removeWasmTrainingKernels', () => {
  afterEach(async () => {
    delete process.env[WASM_KERNELS_ENV];
    delete process.env[ORT_KERNELS_ENV];
    removeWasmTrainingKernels();
    await useWasm();
  });

  it('replaces the listed kernels, is idempotent, and removal restores the stock config objects', async () => {
    await useWasm();
    removeWasmTrainingKernels();
    const stock = new Map(PATCHED.map((name) => [name, tf.getKernel(name, 'wasm')]));
    expect(stock.get('Conv2DBackpropFilter')).toBeUndefined();
    const state = applyWasmTrainingKernels();
    expect([...state.kernels].sort()).toEqual([...PATCHED].sort());
    expect([...state.ortKernels].sort()).toEqual([...IN_ORT].sort());
    expect(state.ort?.version).toMatch(/^1\./);
    expect(applyWasmTrainingKernels().kernels).toEqual(state.kernels);
    expect(wasmTrainingKernels()).toEqual(state.kernels);
    for (const name of PATCHED) {
      expect(tf.getKernel(name, 'wasm')).toBeDefined();
      expect(tf.getKernel(name, 'wasm')).not.toBe(stock.get(name));
    }
    // The original set-up function is kept so a re-initialised backend binds the wasm functions.
    expect(tf.getKernel('BatchMatMul', 'wasm')?.setupFunc).toBe(stock.get('BatchMatMul')?.setupFunc);
    removeWasmTrainingKernels();
    expect(wasmTrainingKernels()).toEqual([]);
    for (const name of PATCHED) expect(tf.getKernel(name, 'wasm')).toBe(stock.get(name));
  });

  it(`${ORT_KERNELS_ENV}=off keeps every kernel on wasm and says why`, async () => {
    await useWasm();
    removeWasmTrainingKernels();
    process.env[ORT_KERNELS_ENV] = 'off';
    const state = applyWasmTrainingKernels();
    expect([...state.kernels].sort()).toEqual([...WASM_ONLY].sort());
    expect(state.ortKernels).toEqual([]);
    expect(state.ortReason).toContain(`${ORT_KERNELS_ENV}=off`);
  });

  it(`${WASM_KERNELS_ENV}=off leaves the stock kernels in place and says why`, async () => {
    await useWasm();
    removeWasmTrainingKernels();
    const stock = tf.getKernel('BatchMatMul', 'wasm');
    process.env[WASM_KERNELS_ENV] = 'off';
    const state = applyWasmTrainingKernels();
    expect(state.kernels).toEqual([]);
    expect(state.reason).toContain(`${WASM_KERNELS_ENV}=off`);
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(stock);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
  });

  it('the patched and stock kernels give the same Dense-layer training step', async () => {
    await useWasm();
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor2d(Array.from({ length: 32 * 20 }, (_, i) => Math.sin(i)), [32, 20]);
        const w = tf.variable(tf.tensor2d(Array.from({ length: 20 * 16 }, (_, i) => Math.cos(i) * 0.1), [20, 16]));
        const v = tf.variable(tf.tensor2d(Array.from({ length: 16 * 4 }, (_, i) => Math.cos(3 * i) * 0.1), [16, 4]));
        const opt = tf.train.adam(0.01);
        for (let i = 0; i < 3; i++) {
          opt.minimize(() => tf.mean(tf.square(tf.matMul(tf.relu(tf.matMul(x, w)), v))) as tf.Scalar);
        }
        const out = tf.concat([tf.reshape(w, [-1]), tf.reshape(v, [-1])]);
        opt.dispose();
        w.dispose();
        v.dispose();
        return out;
      }).dataSync();
    const fixed = run();
    removeWasmTrainingKernels();
    const stock = run();
    applyWasmTrainingKernels();
    let diff = 0;
    for (let i = 0; i < fixed.length; i++) diff = Math.max(diff, Math.abs(fixed[i]! - stock[i]!));
    expect(diff).toBeLessThan(1e-5);
  });
});
