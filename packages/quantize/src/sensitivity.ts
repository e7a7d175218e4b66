import { encodeOnnx, type ModelProto } from '@shrinkray/onnx-io';
import { type Dataset, predictBatched, type Tensor } from '@shrinkray/tensor-core';
import { openScoringModel } from './scoring-model.js';

/** One layer quantized on its own: how much the model's accuracy and outputs move. */
export interface LayerSensitivity {
  node: string;
  opType: string;
  /** Accuracy with only this layer quantized (on the sensitivity examples). */
  accuracy: number;
  /** Float accuracy minus `accuracy`, in points (percent). */
  accuracyDrop: number;
  /** ||y_quantized - y_float|| / ||y_float|| over the logits of the sensitivity examples. */
  outputError: number;
  /** True when the drop is at least 0.2 points or the output error at least 0.1: a candidate for `exclude`. */
  flagged: boolean;
}

/** Relative L2 distance of two logit tensors. */
export function relativeError(a: Tensor<'float32'>, b: Tensor<'float32'>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.size; i++) {
    const d = a.data[i]! - b.data[i]!;
    num += d * d;
    den += b.data[i]! * b.data[i]!;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

function accuracyOf(logits: Tensor<'float32'>, labels: Int32Array): number {
  const classes = logits.shape[1] ?? 1;
  let correct = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits.data[r * classes + c]! > logits.data[r * classes + best]!) best = c;
    if (best === labels[r]) correct++;
  }
  return labels.length === 0 ? 0 : correct / labels.length;
}

/** Logits of an ONNX model on a dataset (ORT, one intra-op thread; text classifiers fed token ids with `padId`). */
export async function logitsOf(model: ModelProto | Uint8Array, data: Dataset, name: string, padId = 0): Promise<Tensor<'float32'>> {
  const m = await openScoringModel(model instanceof Uint8Array ? model : encodeOnnx(model), { name, padId });
  try {
    return await predictBatched(m, data, { batchSize: 256 });
  } finally {
    await m.dispose();
  }
}

/**
 * Quantizes one layer at a time (`quantizeOnly(node)` builds that model) and measures accuracy and
 * output error against the float model on `data`.
 */
export async function layerSensitivity(
  float: ModelProto,
  layers: readonly { node: string; opType: string }[],
  quantizeOnly: (node: string) => ModelProto,
  data: Dataset,
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number, node: string) => void; padId?: number } = {},
): Promise<LayerSensitivity[]> {
  const reference = await logitsOf(float, data, 'float', options.padId);
  const floatAccuracy = accuracyOf(reference, data.labels);
  const out: LayerSensitivity[] = [];
  for (const [i, layer] of layers.entries()) {
    options.signal?.throwIfAborted();
    const logits = await logitsOf(quantizeOnly(layer.node), data, layer.node, options.padId);
    const accuracy = accuracyOf(logits, data.labels);
    const accuracyDrop = (floatAccuracy - accuracy) * 100;
    const outputError = relativeError(logits, reference);
    out.push({ ...layer, accuracy, accuracyDrop, outputError, flagged: accuracyDrop >= 0.2 || outputError >= 0.1 });
    options.onProgress?.(i + 1, layers.length, layer.node);
  }
  return out;
}
