import { statSync } from 'node:fs';
import path from 'node:path';
import { initBackend, loadTfjsModel, type Model, ModelFileError, saveTfjsModel, TfjsModel, type tfl } from '@shrinkray/tensor-core';
import { exportTfjs } from './export/export-tfjs.js';
import { importOnnx } from './import/import-onnx.js';
import { loadOnnx, saveOnnx } from './io.js';
import { OnnxModel, type OnnxModelOptions } from './onnx-model.js';

/** The one naming scheme of every model folder shrinkray writes (distilled students, pruned models, imports). */
export const MODEL_FILES = { tfjs: 'model.json', weights: 'weights.bin', onnx: 'model.onnx' } as const;

/** What a model path holds: an ONNX file, a tfjs model (`model.json` or the folder holding it), or precomputed logits (`.npy`). */
export type ModelPathKind = 'onnx' | 'tfjs' | 'logits';

/** A model path, classified, with the file to read (`DIR/model.json` for a tfjs folder). */
export interface ModelPath {
  kind: ModelPathKind;
  file: string;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Classifies a model path, the one rule every package and the CLI use: `.onnx` (ONNX), `.npy`
 * (precomputed logits), `.json` or a folder holding `model.json` (tfjs). Anything else throws
 * `ModelFileError` naming the path. The file's existence is checked when it is read.
 *
 * @example
 * modelPath('out/student'); // { kind: 'tfjs', file: 'out/student/model.json' }
 */
export function modelPath(p: string): ModelPath {
  const ext = path.extname(p).toLowerCase();
  if (ext === '.onnx') return { kind: 'onnx', file: p };
  if (ext === '.npy') return { kind: 'logits', file: p };
  if (ext === '.json') return { kind: 'tfjs', file: p };
  if (isDirectory(p)) return { kind: 'tfjs', file: path.join(p, MODEL_FILES.tfjs) };
  throw new ModelFileError(p, 'expected a tfjs model folder, a model.json, an .onnx file or an .npy logits file');
}

/**
 * Opens a model path behind the `Model` interface: `.onnx` as an `OnnxModel` (ORT), a tfjs
 * `model.json` or model folder as a `TfjsModel`. An `.npy` logits file is not a model:
 * `ModelFileError` (distill takes it as a teacher of precomputed logits).
 *
 * @example
 * const model = await openModel('teacher.onnx');
 * const logits = await model.predict(x);
 */
export async function openModel(p: string, options: OnnxModelOptions = {}): Promise<Model> {
  const { kind, file } = modelPath(p);
  if (kind === 'onnx') return OnnxModel.create(file, options);
  if (kind === 'logits') throw new ModelFileError(p, 'an .npy file holds precomputed logits, not a model');
  await initBackend();
  return new TfjsModel(await loadTfjsModel(file), options.name ?? path.basename(path.dirname(path.resolve(file))));
}

/**
 * Opens a model path as a trainable tfjs `LayersModel`: a tfjs `model.json` or folder directly, an
 * `.onnx` file (PyTorch exports included) through `importOnnx` (NCHW models become NHWC models).
 *
 * @example
 * const model = await openLayersModel('lenet.onnx');
 */
export async function openLayersModel(p: string): Promise<tfl.LayersModel> {
  const { kind, file } = modelPath(p);
  await initBackend();
  if (kind === 'onnx') return importOnnx(await loadOnnx(file), { file, name: path.basename(file, '.onnx') });
  if (kind === 'logits') throw new ModelFileError(p, 'an .npy file holds precomputed logits, not a model');
  return loadTfjsModel(file);
}

/** Files written by {@link saveModelFiles}. */
export interface SavedModelFiles {
  /** `DIR/model.json` and `DIR/weights.bin`. */
  tfjs: string[];
  /** `DIR/model.onnx`, unless `onnx: false`. */
  onnx: string | undefined;
  /** Every file written. */
  files: string[];
}

/**
 * Writes a tfjs model to `dir` under the one naming scheme ({@link MODEL_FILES}): `model.json` +
 * `weights.bin` (tfjs) and `model.onnx` (its ONNX export, through `saveOnnx`), each file atomically.
 * `onnx`: `false` to skip the ONNX file, or bytes of an export already made; `onnxFileName` overrides
 * `model.onnx`.
 *
 * @example
 * const { files } = await saveModelFiles(student, 'out/student');
 */
export async function saveModelFiles(model: tfl.LayersModel, dir: string, options: { onnx?: boolean | Uint8Array; onnxFileName?: string } = {}): Promise<SavedModelFiles> {
  const tfjs = await saveTfjsModel(model, dir);
  let onnx: string | undefined;
  if (options.onnx !== false) {
    onnx = path.join(dir, options.onnxFileName ?? MODEL_FILES.onnx);
    if (options.onnx instanceof Uint8Array) await saveOnnx(options.onnx, onnx);
    else await saveOnnx(await exportTfjs(model, { name: model.name }), onnx);
  }
  return { tfjs, onnx, files: [...tfjs, ...(onnx ? [onnx] : [])] };
}
