import { gzipSync } from 'node:zlib';
import { encodeOnnx, exportTfjs, openLayersModel, saveModelFiles } from '@shrinkray/onnx-io';
import type { tfl } from '@shrinkray/tensor-core';

/**
 * Opens a model to prune as a tfjs LayersModel (onnx-io's `openLayersModel`): a tfjs `model.json` or
 * model folder, or an `.onnx` file (PyTorch exports included; NCHW models become NHWC tfjs models).
 *
 * @example
 * const model = await loadModelForPruning('lenet.onnx');
 */
export async function loadModelForPruning(file: string): Promise<tfl.LayersModel> {
  return openLayersModel(file);
}

/** Exports a tfjs model to ONNX bytes (opset of `@shrinkray/onnx-io`). */
export async function toOnnxBytes(model: tfl.LayersModel): Promise<Uint8Array> {
  return encodeOnnx(await exportTfjs(model));
}

/**
 * Writes a pruned model to `dir` under the model-folder naming scheme (onnx-io's `saveModelFiles`):
 * tfjs (`model.json` + `weights.bin`) and ONNX (`model.onnx`), each file atomically. `onnxBytes`
 * reuses an export already made. Returns the paths written.
 */
export async function savePrunedModel(model: tfl.LayersModel, dir: string, onnxBytes?: Uint8Array): Promise<string[]> {
  return (await saveModelFiles(model, dir, onnxBytes ? { onnx: onnxBytes } : {})).files;
}

/** ONNX file size of a model, raw and gzip-compressed (level 9). */
export async function onnxSize(exporter: (model: tfl.LayersModel) => Promise<Uint8Array>, model: tfl.LayersModel): Promise<{ bytes: number; gzipBytes: number }> {
  const bytes = await exporter(model);
  return { bytes: bytes.byteLength, gzipBytes: gzipSync(bytes, { level: 9 }).byteLength };
}
