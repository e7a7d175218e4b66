import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeOnnx, exportTfjs, importOnnx, loadOnnx } from '@shrinkray/onnx-io';
import { initBackend, loadTfjsModel, saveTfjsModel, type tfl, writeFileAtomic } from '@shrinkray/tensor-core';

/**
 * Opens a model to prune as a tfjs LayersModel: a tfjs `model.json`, or an `.onnx` file (PyTorch
 * exports included) imported through `@shrinkray/onnx-io` (NCHW models become NHWC tfjs models).
 *
 * @example
 * const model = await loadModelForPruning('lenet.onnx');
 */
export async function loadModelForPruning(file: string): Promise<tfl.LayersModel> {
  await initBackend();
  if (file.toLowerCase().endsWith('.onnx')) return importOnnx(await loadOnnx(file), { file, name: path.basename(file, '.onnx') });
  return loadTfjsModel(file);
}

/** Exports a tfjs model to ONNX bytes (opset of `@shrinkray/onnx-io`). */
export async function toOnnxBytes(model: tfl.LayersModel): Promise<Uint8Array> {
  return encodeOnnx(await exportTfjs(model));
}

/**
 * Writes a pruned model to `dir` as tfjs (`model.json` + `weights.bin`) and ONNX (`model.onnx`), each
 * file atomically. `onnxBytes` reuses an export already made. Returns the paths written.
 */
export async function savePrunedModel(model: tfl.LayersModel, dir: string, onnxBytes?: Uint8Array): Promise<string[]> {
  const bytes = onnxBytes ?? (await toOnnxBytes(model));
  const files = await saveTfjsModel(model, dir);
  const onnxPath = path.join(dir, 'model.onnx');
  await writeFileAtomic(onnxPath, bytes);
  return [...files, onnxPath];
}

/** ONNX file size of a model, raw and gzip-compressed (level 9). */
export async function onnxSize(exporter: (model: tfl.LayersModel) => Promise<Uint8Array>, model: tfl.LayersModel): Promise<{ bytes: number; gzipBytes: number }> {
  const bytes = await exporter(model);
  return { bytes: bytes.byteLength, gzipBytes: gzipSync(bytes, { level: 9 }).byteLength };
}
