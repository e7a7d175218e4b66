import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '@shrinkray/tensor-core';
import { describe, expect, it, vi } from 'vitest';
import { OnnxModel } from '../src/index.js';

// An onnxruntime-node whose dist/binding.js is not laid out as expected.
vi.mock('node:module', () => ({ createRequire: () => () => ({ binding: {} }) }));

const mlp = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/torch-mlp.onnx');

describe('OnnxModel lowLatency without a usable native binding', () => {
  it('falls back to the public session and still predicts', async () => {
    const model = await OnnxModel.create(mlp, { intraOpNumThreads: 1, lowLatency: true });
    try {
      expect(model.session.kind).toBe('in-thread');
      const y = await model.predict(Tensor.zeros('float32', [3, 28, 28, 1]));
      expect(y.shape).toEqual([3, model.numClasses]);
      expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
    } finally {
      await model.dispose();
    }
  });
});
