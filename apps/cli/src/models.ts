import { existsSync } from 'node:fs';
import { initBackend, loadTfjsModel, type Model, TfjsModel } from '@shrinkray/tensor-core';
import { UsageError } from './io.js';

/** A loader for one model file format, keyed by file extension. */
export interface ModelFormat {
  readonly extension: string;
  load(file: string): Promise<Model>;
}

const formats = new Map<string, ModelFormat>();

/** Registers a model format (the onnx format is added by onnx-io's command module). */
export function registerModelFormat(format: ModelFormat): void {
  formats.set(format.extension, format);
}

registerModelFormat({
  extension: '.json',
  async load(file) {
    await initBackend();
    return new TfjsModel(await loadTfjsModel(file), file);
  },
});

/** Opens a `<model>` argument: a tfjs model.json or a registered format such as `.onnx`. */
export async function openModel(file: string): Promise<Model> {
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  const ext = [...formats.keys()].find((e) => file.toLowerCase().endsWith(e));
  if (!ext) throw new UsageError(`${file}: expected a tfjs model.json or one of ${[...formats.keys()].join(', ')}`);
  return formats.get(ext)!.load(file);
}
