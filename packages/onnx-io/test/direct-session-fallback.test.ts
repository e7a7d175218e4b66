import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ortLoadFailure, setOrtModuleLoader, Tensor } from '@shrinkray/tensor-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxModel } from '../src/index.js';

const mlp = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/torch-mlp.onnx');

// An onnxruntime-node whose dist/binding.js is not laid out as expected, through tensor-core's one
// onnxruntime-node loader (which onnx-io's direct sessions use).
beforeAll(() => {
  const realRequire = createRequire(import.meta.url);
  setOrtModuleLoader((specifier) => (specifier.endsWith('/dist/binding.js') ? { binding: {} } : realRequire(specifier)));
});
afterAll(() => setOrtModuleLoader());

describe('OnnxModel lowLatency without a usable native binding', () => {
  it('falls back to the public session and still predicts; the loader says why', async () => {
    const model = await OnnxModel.create(mlp, { intraOpNumThreads: 1, lowLatency: true });
    try {
      expect(model.session.kind).toBe('in-thread');
      expect(ortLoadFailure()).toMatch(/^onnxruntime-node 1\.\d+\.\d+ does not expose its native binding as expected$/);
      const y = await model.predict(Tensor.zeros('float32', [3, 28, 28, 1]));
      expect(y.shape).toEqual([3, model.numClasses]);
      expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
    } finally {
      await model.dispose();
    }
  });
});
