import { gzipSync } from 'node:zlib';
import { benchmark, encodeOnnx, exportTfjs, OnnxModel } from '@shrinkray/onnx-io';
import { type Dataset, evaluateModel, type Model, type tfl } from '@shrinkray/tensor-core';
import type { ModelRow } from './results.js';

/** Test-split metrics of any model. */
export async function scoreModel(model: Model, test: Dataset): Promise<{ accuracy: number; nll: number; ece: number }> {
  const { accuracy, nll, ece } = await evaluateModel(model, test);
  return { accuracy, nll, ece };
}

/**
 * ONNX size (raw and gzip) and ORT throughput at batch 256, measured on the exported bytes. The
 * throughput is that of the median run: models are timed one after another, and a mean over a few runs
 * let one slow run on a shared machine rank a 50%-pruned model below its dense teacher.
 */
export async function onnxFacts(bytes: Uint8Array, name: string, iterations: number): Promise<Pick<ModelRow, 'bytes' | 'gzipBytes' | 'samplesPerSecond'>> {
  const session = await OnnxModel.create(bytes, { name });
  try {
    const [result] = await benchmark(session, { batchSizes: [256], iterations, warmup: 2 });
    const samplesPerSecond = result && result.p50Ms > 0 ? result.batch / (result.p50Ms / 1000) : undefined;
    return { bytes: bytes.byteLength, gzipBytes: gzipSync(bytes, { level: 9 }).byteLength, samplesPerSecond };
  } finally {
    await session.dispose();
  }
}

/** The ONNX bytes of a tfjs model, in memory. */
export async function onnxBytes(model: tfl.LayersModel): Promise<Uint8Array> {
  return encodeOnnx(await exportTfjs(model));
}
