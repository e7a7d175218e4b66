import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, saveTfjsModel, Tensor, tfl } from '@shrinkray/tensor-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportTfjsFile, importOnnxFile, inspectFile, openOnnxModel } from './files.js';
import { openModel } from './model-files.js';
import { OnnxModel } from './onnx-model.js';
import { maxAbsDiff, randomInput, randomizeWeights } from './testing.test.util.js';

const dir = await mkdtemp(path.join(tmpdir(), 'onnx-files-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend();
});

describe('file-level API for the CLI', () => {
  it('export, import, inspect and open work on model.json and .onnx files, PyTorch files included', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3 }), tfl.layers.flatten(), tfl.layers.dense({ units: 3, activation: 'softmax' })] });
    randomizeWeights(model, 2);
    const [modelJson] = await saveTfjsModel(model, path.join(dir, 'tfjs'));
    const onnxFile = path.join(dir, 'm.onnx');
    expect(await exportTfjsFile(modelJson!, onnxFile)).toEqual({ files: [onnxFile] });
    const back = await importOnnxFile(onnxFile, path.join(dir, 'imported'));
    expect(back.files.map((f) => path.basename(f)).sort()).toEqual(['model.json', 'weights.bin']);

    const x = randomInput([5, 8, 8, 1], 9);
    const fromJson = await openModel(modelJson!);
    const fromOnnx = await openModel(onnxFile);
    const fromImport = await openModel(back.files.find((f) => f.endsWith('model.json'))!);
    expect(fromOnnx).toBeInstanceOf(OnnxModel);
    const a = await fromJson.predict(x);
    expect(maxAbsDiff(a.data, (await fromOnnx.predict(x)).data)).toBeLessThan(1e-4);
    expect(maxAbsDiff(a.data, (await fromImport.predict(x)).data)).toBeLessThan(1e-4);
    await fromOnnx.dispose();
    const served = await openOnnxModel(modelJson!);
    expect(served).toBeInstanceOf(OnnxModel);
    expect(served.outputKind).toBe('probabilities');
    expect(maxAbsDiff(a.data, (await served.predict(x)).data)).toBeLessThan(1e-4);
    await served.dispose();

    const s1 = await inspectFile(onnxFile);
    const s2 = await inspectFile(modelJson!);
    expect(s1.params).toBe(2 * 9 + 2 + 72 * 3 + 3);
    expect(s2.params).toBe(s1.params);
    expect(s1.ops).toEqual({ Transpose: 2, Conv: 1, Flatten: 1, Gemm: 1, Softmax: 1 });
    expect(s2.bytes).toBeGreaterThan(4 * s1.params);

    const torch = fileURLToPath(new URL('../fixtures/torch-cnn.onnx', import.meta.url));
    const t = await inspectFile(torch);
    expect(t.inputs[0]!.shape).toEqual(['batch', 1, 28, 28]);
    const torchModel = await openModel(torch);
    expect((await torchModel.predict(Tensor.zeros('float32', [2, 28, 28, 1]))).shape).toEqual([2, 10]);
    await torchModel.dispose();
    const imported = await importOnnxFile(torch, path.join(dir, 'torch'));
    expect(imported.files).toHaveLength(2);
  });
});
