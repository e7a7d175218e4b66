import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, ModelFileError, TfjsModel, tfl } from '@shrinkray/tensor-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_FILES, modelPath, openLayersModel, openModel, saveModelFiles } from './model-files.js';
import { OnnxModel } from './onnx-model.js';
import { maxAbsDiff, randomInput, randomizeWeights } from './testing.test.util.js';

const dir = await mkdtemp(path.join(tmpdir(), 'onnx-model-files-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend();
});
const torchMlp = fileURLToPath(new URL('../fixtures/torch-mlp.onnx', import.meta.url));

describe('modelPath: the one rule for model paths', () => {
  it('classifies .onnx, .npy, .json and tfjs folders; anything else is a ModelFileError naming the path', () => {
    const folder = path.join(dir, 'folder');
    mkdirSync(folder, { recursive: true });
    expect(modelPath('a/b.ONNX')).toEqual({ kind: 'onnx', file: 'a/b.ONNX' });
    expect(modelPath('logits.npy')).toEqual({ kind: 'logits', file: 'logits.npy' });
    expect(modelPath('m/model.json')).toEqual({ kind: 'tfjs', file: 'm/model.json' });
    expect(modelPath(folder)).toEqual({ kind: 'tfjs', file: path.join(folder, 'model.json') });
    const error = (() => {
      try {
        modelPath('weights.bin');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(ModelFileError.isInstance(error)).toBe(true);
    expect((error as ModelFileError).file).toBe('weights.bin');
  });
});

describe('saveModelFiles, openModel and openLayersModel', () => {
  it('writes model.json, weights.bin and model.onnx; the folder, its model.json and its model.onnx predict the same', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [6], units: 5, activation: 'relu' }), tfl.layers.dense({ units: 3 })] });
    randomizeWeights(model, 5);
    const out = path.join(dir, 'saved');
    const saved = await saveModelFiles(model, out);
    expect(readdirSync(out).sort()).toEqual([MODEL_FILES.tfjs, MODEL_FILES.onnx, MODEL_FILES.weights].sort());
    expect(saved.files.map((f) => path.basename(f))).toEqual(['model.json', 'weights.bin', 'model.onnx']);
    const x = randomInput([4, 6], 3);
    const reference = await new TfjsModel(model).predict(x);
    const fromFolder = await openModel(out);
    const fromJson = await openModel(path.join(out, 'model.json'));
    const fromOnnx = await openModel(saved.onnx!);
    expect(fromFolder).toBeInstanceOf(TfjsModel);
    expect(fromFolder.name).toBe('saved');
    expect(fromOnnx).toBeInstanceOf(OnnxModel);
    for (const m of [fromFolder, fromJson, fromOnnx]) expect(maxAbsDiff(reference.data, (await m.predict(x)).data)).toBeLessThan(1e-5);
    await fromOnnx.dispose();
    await expect(openModel(path.join(dir, 'x.npy'))).rejects.toThrow(/holds precomputed logits, not a model/);
  });

  it('saveModelFiles reuses given ONNX bytes byte for byte, or skips ONNX with onnx: false', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [2], units: 2 })] });
    const bytes = new Uint8Array([1, 2, 3]);
    const given = await saveModelFiles(model, path.join(dir, 'given'), { onnx: bytes });
    expect([...readFileSync(given.onnx!)]).toEqual([1, 2, 3]);
    const none = await saveModelFiles(model, path.join(dir, 'none'), { onnx: false });
    expect(none.onnx).toBeUndefined();
    expect(readdirSync(path.join(dir, 'none')).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('openLayersModel imports a PyTorch .onnx as a tfjs model that matches ONNX Runtime', async () => {
    const layers = await openLayersModel(torchMlp);
    const ort = await OnnxModel.create(torchMlp);
    const x = randomInput([3, 28, 28, 1], 7);
    expect(maxAbsDiff((await new TfjsModel(layers).predict(x)).data, (await ort.predict(x)).data)).toBeLessThan(1e-4);
    await ort.dispose();
    layers.dispose();
  });
});
