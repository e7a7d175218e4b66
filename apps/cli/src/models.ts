import { existsSync } from 'node:fs';
import { openModel as openModelFile } from '@shrinkray/onnx-io';
import { initBackend, type Model } from '@shrinkray/tensor-core';
import { UsageError } from './io.js';

const modelFile = /\.(onnx|json)$/i;

/** Checks a `<model>` argument names an existing tfjs model.json or .onnx file. */
export function checkModelPath(file: string): void {
  if (!modelFile.test(file)) throw new UsageError(`${file}: expected a tfjs model.json or an .onnx file`);
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
}

/** Opens a `<model>` argument: a tfjs model.json (TfjsModel) or an .onnx file (OnnxModel, ORT). */
export async function openModel(file: string): Promise<Model> {
  checkModelPath(file);
  await initBackend();
  return openModelFile(file, { name: file });
}
