import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveInside, saveTfjsModel } from '@shrinkray/tensor-core';
import { type ExportOptions, exportTfjs } from './export/export-tfjs.js';
import { importOnnx } from './import/import-onnx.js';
import { inspect, type OnnxSummary } from './inspect.js';
import { encodeOnnx, loadOnnx, saveOnnx } from './io.js';
import { modelPath, openLayersModel } from './model-files.js';
import { OnnxModel, type OnnxModelOptions } from './onnx-model.js';

/** True for paths the ONNX side handles (`.onnx`); `modelPath` classifies every kind. */
export function isOnnxPath(file: string): boolean {
  return path.extname(file).toLowerCase() === '.onnx';
}

/**
 * Opens any model file as an `OnnxModel` (ORT): `.onnx` directly, a tfjs `model.json` through an
 * in-memory ONNX export. For `bench` and ONNX serving of tfjs models.
 */
export async function openOnnxModel(p: string, options: OnnxModelOptions = {}): Promise<OnnxModel> {
  const { kind, file } = modelPath(p);
  if (kind === 'onnx') return OnnxModel.create(file, options);
  const layers = await openLayersModel(file);
  try {
    const bytes = encodeOnnx(await exportTfjs(layers));
    return await OnnxModel.create(bytes, { ...options, name: options.name ?? path.basename(path.dirname(path.resolve(file))) });
  } finally {
    layers.dispose();
  }
}

/** `shrinkray export`: tfjs `model.json` -> ONNX file (written atomically). Returns the files written. */
export async function exportTfjsFile(modelJson: string, out: string, options: ExportOptions = {}): Promise<{ files: string[] }> {
  const model = await openLayersModel(modelJson);
  try {
    await saveOnnx(await exportTfjs(model, options), out);
  } finally {
    model.dispose();
  }
  return { files: [out] };
}

/** `shrinkray import`: ONNX file -> `DIR/model.json` + `DIR/weights.bin`. Returns the files written. */
export async function importOnnxFile(onnxFile: string, outDir: string): Promise<{ files: string[] }> {
  const model = await importOnnx(await loadOnnx(onnxFile), { file: onnxFile, name: path.basename(onnxFile, '.onnx') });
  try {
    return { files: await saveTfjsModel(model, outDir) };
  } finally {
    model.dispose();
  }
}

/**
 * `shrinkray inspect`: summary of an `.onnx` file, or of a tfjs `model.json` through its ONNX
 * export (then `bytes` is the size of model.json plus its weight files).
 */
export async function inspectFile(p: string): Promise<OnnxSummary> {
  const { kind, file } = modelPath(p);
  if (kind === 'onnx') {
    const model = await loadOnnx(file);
    return inspect(model, (await stat(file)).size);
  }
  const layers = await openLayersModel(file);
  try {
    const onnx = await exportTfjs(layers);
    const summary = inspect(onnx, encodeOnnx(onnx));
    const dir = path.dirname(file);
    const manifest = JSON.parse(await readFile(file, 'utf8')) as { weightsManifest?: { paths: string[] }[] };
    let bytes = (await stat(file)).size;
    for (const [g, group] of (manifest.weightsManifest ?? []).entries()) {
      for (const [i, w] of group.paths.entries()) bytes += (await stat(resolveInside(dir, w, `${file} weightsManifest[${g}].paths[${i}]`))).size;
    }
    return { ...summary, bytes };
  } finally {
    layers.dispose();
  }
}
