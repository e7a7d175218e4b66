// onnxruntime-node absent: simulated with the loader seam (this file's module graph is its own, so
// no other test sees the failing loader). The wasm kernels stay, BackendInfo says why ORT is not used,
// and training still runs and equals the cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendInfo, initBackend } from '../../backend.js';
import { Dataset } from '../../data/dataset.js';
import { loadOrtBinding, ortLoadFailure, setOrtModuleLoader } from '../../ort-loader.js';
import { Tensor } from '../../tensor.js';
import { train } from '../../training/train.js';
import type { OptimizerConfig } from '../../training/types.js';
import { removeWasmTrainingKernels } from '../index.js';
import { randomData, relativeError } from '../kit.test.shared.js';
import { kernelUsage } from './runtime.js';

let info: BackendInfo;

beforeAll(async () => {
  setOrtModuleLoader((specifier) => {
    throw new Error(`Cannot find module '${specifier}'`);
  });
  info = await initBackend({ force: 'wasm' });
});

afterAll(() => {
  removeWasmTrainingKernels();
  setOrtModuleLoader();
});

/** Conv2D + BatchNorm + max pooling + Dense: every kernel group the wasm fixes replace. */
function model(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [10, 10, 2], filters: 8, kernelSize: 3, padding: 'same', useBias: false }),
      tfl.layers.batchNormalization(),
      tfl.layers.activation({ activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 4 }),
    ],
  });
}

const x = randomData([48, 10, 10, 2], 5);
const y = Int32Array.from({ length: 48 }, (_, i) => (i * 5) % 4);
const data = Dataset.fromArrays(Tensor.float32(x.shape, x.values), y, { name: 'absent', numClasses: 4 });

/** Two epochs of `optimizer` from `initial` weights on `backend`: losses and final weights. */
async function run(backend: 'wasm' | 'cpu', optimizer: OptimizerConfig, initial: Float32Array[]): Promise<{ losses: number[]; weights: Float32Array[]; backend: string }> {
  await tf.setBackend(backend);
  const m = model();
  m.setWeights(m.getWeights().map((w, i) => tf.tensor(initial[i]!, w.shape)));
  const { history } = await train({ model: m, data, optimizer, epochs: 2, batchSize: 16, seed: 9 });
  const weights = m.getWeights().map((w) => Float32Array.from(w.dataSync()));
  m.dispose();
  return { losses: history.epochs.map((e) => e.loss), weights, backend: history.backend };
}

describe('onnxruntime-node absent', () => {
  it('one loader reports the failure; the backend is wasm with its kernel fixes and says why ORT is not used', () => {
    expect(loadOrtBinding()).toBeNull();
    expect(ortLoadFailure()).toBe("Cannot find module 'onnxruntime-node/dist/binding.js'");
    expect(info.backend).toBe('wasm');
    expect(info.ortKernels).toEqual([]);
    expect(info.ort).toBeUndefined();
    expect(info.ortReason).toBe("Cannot find module 'onnxruntime-node/dist/binding.js'");
    // The wasm-side fixes (incl. kernels stock tfjs-backend-wasm lacks) and the fused optimizer updates stay.
    for (const name of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'MaxPoolGrad', 'BatchMatMul', 'ShrinkrayFusedAdam', 'ShrinkrayFusedMomentum']) {
      expect(info.kernelFixes).toContain(name);
    }
  });

  for (const optimizer of [
    { name: 'adam', learningRate: 0.01 },
    { name: 'momentum', learningRate: 0.02 },
  ] as const) {
    it(`train() with ${optimizer.name} runs on wasm without ORT and equals the cpu backend`, { timeout: 120_000 }, async () => {
      await tf.setBackend('cpu');
      // Seeded initial weights (the layers' initialisers are not): a failure reproduces.
      const probe = model();
      const initial = probe.weights.map((w, i) => {
        const values = randomData(w.shape as number[], 200 + i).values.map((v) => v * 0.3);
        return w.name.includes('moving_variance') ? values.map((v) => Math.abs(v) + 0.5) : values;
      });
      probe.dispose();
      const reference = await run('cpu', optimizer, initial);
      const before = kernelUsage();
      const got = await run('wasm', optimizer, initial);
      expect(got.backend).toBe('wasm');
      // Nothing ran in ORT.
      for (const [name, usage] of Object.entries(kernelUsage())) expect(usage.ort, name).toBe(before[name]?.ort ?? 0);
      expect(relativeError(got.losses, reference.losses)).toBeLessThan(1e-4);
      for (const [i, w] of got.weights.entries()) expect(relativeError(w, reference.weights[i]!)).toBeLessThan(1e-4);
    });
  }
});
