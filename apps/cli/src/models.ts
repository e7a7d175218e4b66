import { existsSync } from 'node:fs';
import { modelPath, openModel as openModelPath } from '@shrinkray/onnx-io';
import { initBackend, type Model, ShrinkrayError } from '@shrinkray/tensor-core';
import { UsageError } from './io.js';

/**
 * Checks a `<model>` argument is a model path (onnx-io's `modelPath`: a tfjs folder or model.json,
 * or an .onnx file) that exists. `.npy` logits are not a model here.
 */
export function checkModelPath(file: string): void {
  let kind: string;
  let target: string;
  try {
    ({ kind, file: target } = modelPath(file));
  } catch (error) {
    if (ShrinkrayError.isInstance(error)) throw new UsageError(`${file}: expected a tfjs model folder or model.json, or an .onnx file`);
    throw error;
  }
  if (kind === 'logits') throw new UsageError(`${file}: expected a tfjs model folder or model.json, or an .onnx file (an .npy file holds logits)`);
  if (!existsSync(target)) throw new UsageError(`${file}: no such file`);
}

/** Opens a `<model>` argument with onnx-io's `openModel`: a tfjs model (TfjsModel) or an .onnx file (OnnxModel, ORT). */
export async function openModel(file: string): Promise<Model> {
  checkModelPath(file);
  await initBackend();
  return openModelPath(file, { name: file });
}
