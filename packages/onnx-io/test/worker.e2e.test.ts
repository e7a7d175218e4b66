import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, Tensor } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
// The built package: the worker thread loads dist/session-worker.js.
import { OnnxModel } from '../dist/index.js';

const cnn = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/torch-cnn.onnx');

function images(n: number, seed: number): Tensor<'float32'> {
  const rng = new Rng(seed);
  const data = new Float32Array(n * 784);
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  return new Tensor('float32', [n, 28, 28, 1], data);
}

/** Runs `work` while a 1 ms timer ticks on this thread; returns the result and how often it ticked. */
async function ticksDuring<T>(work: () => Promise<T>): Promise<{ result: T; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    const result = await work();
    return { result, ticks };
  } finally {
    clearInterval(timer);
  }
}

describe('OnnxModel on a worker thread', () => {
  it('gives exactly the in-thread outputs and keeps the event loop live while ORT computes', async () => {
    const x = images(6000, 3);
    const inThread = await OnnxModel.create(cnn, { intraOpNumThreads: 1 });
    const worker = await OnnxModel.create(cnn, { intraOpNumThreads: 1, worker: true });
    try {
      expect(worker.inputShape).toEqual(inThread.inputShape);
      expect(worker.numClasses).toBe(10);
      const expected = await inThread.predict(x);
      const { result, ticks } = await ticksDuring(() => worker.predict(x));
      expect(result.shape).toEqual([6000, 10]);
      expect(Array.from(result.data)).toEqual(Array.from(expected.data));
      // In-thread, the 1 ms timer can only fire between ORT's 12 batches of 512 (measured: 12 ticks in ~1 s);
      // on the worker it keeps firing while ORT computes (measured: ~1,000 ticks).
      expect(ticks).toBeGreaterThan(4 * Math.ceil(6000 / 512));
    } finally {
      await inThread.dispose();
      await worker.dispose();
    }
  });

  it('a model ORT cannot load fails at create with the file named, and the worker is gone', async () => {
    const broken = new Uint8Array([8, 7, 18, 4, 116, 101, 115, 116]); // ir_version 7, producer "test", no graph
    await expect(OnnxModel.create(broken, { name: 'broken.onnx', worker: true })).rejects.toThrow(/broken\.onnx/);
  });
});
