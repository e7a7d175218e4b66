import { initBackend, Rng, Tensor, tf, type tfl } from '@shrinkray/tensor-core';
import { encodeOnnx } from './io.js';
import { OnnxModel } from './onnx-model.js';
import type { ModelProto } from './types.js';

/** Sets every weight of a model from a seeded normal distribution (variances kept positive, kernels scaled by fan-in). */
export function randomizeWeights(model: tfl.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    const weights = layer.weights;
    if (weights.length === 0) continue;
    layer.setWeights(
      weights.map((w) => {
        const size = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
        const values = new Float32Array(size);
        const variance = w.originalName.endsWith('moving_variance');
        // Kernels ~ N(0, 1/fan_in) so activations stay O(1) and comparisons are not saturated.
        const dims = w.shape as number[];
        const fanIn = dims.length >= 2 ? size / dims[dims.length - 1]! : 0;
        const std = w.originalName.endsWith('depthwise_kernel') ? 1 / Math.sqrt(dims[0]! * dims[1]!) : fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0.3;
        for (let i = 0; i < size; i++) values[i] = variance ? 0.5 + rng.next() : rng.normal() * std;
        return tf.tensor(values, w.shape as number[]);
      }),
    );
  }
}

/** A seeded random float32 tensor. */
export function randomInput(shape: number[], seed: number): Tensor<'float32'> {
  const rng = new Rng(seed);
  const x = Tensor.zeros('float32', shape);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
  return x;
}

/** tfjs output of a model on x. */
export async function tfjsOutput(model: tfl.LayersModel, x: Tensor<'float32'>): Promise<Float32Array> {
  await initBackend();
  const input = x.toTfjs();
  const y = model.predict(input) as tf.Tensor;
  const data = (await y.data()) as Float32Array;
  input.dispose();
  y.dispose();
  return data;
}

/** ORT output of an ONNX model on x (fed in the model's own layout, no adaptation). */
export async function ortOutput(model: ModelProto | Uint8Array, x: Tensor<'float32'>): Promise<Float32Array> {
  const session = await OnnxModel.create(model instanceof Uint8Array ? model : encodeOnnx(model), { outputKind: 'logits' });
  try {
    return (await session.run(x)).data;
  } finally {
    await session.dispose();
  }
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** NCHW -> NHWC copy of a rank-4 tensor. */
export function nchwToNhwc(x: Tensor<'float32'>): Tensor<'float32'> {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const out = new Float32Array(x.size);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) out[(b * h * w + i) * c + ch] = x.data[(b * c + ch) * h * w + i]!;
  return new Tensor('float32', [n, h, w, c], out);
}
