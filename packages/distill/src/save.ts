import path from 'node:path';
import { encodeOnnx, exportTfjs } from '@shrinkray/onnx-io';
import { saveTfjsModel, type tfl, writeFileAtomic } from '@shrinkray/tensor-core';

/** Files written by {@link saveStudent}. */
export interface SavedStudent {
  /** `DIR/model.json` and `DIR/weights.bin`. */
  tfjs: string[];
  /** `DIR/student.onnx` (unless `onnx: false`). */
  onnx: string | undefined;
  /** Every file written. */
  files: string[];
}

/**
 * Saves a trained student as a tfjs model (`DIR/model.json` + `DIR/weights.bin`, tensor-core's
 * `saveTfjsModel`) and as ONNX (`DIR/student.onnx`, onnx-io's `exportTfjs`; NHWC image input as in
 * tfjs), each file written atomically.
 *
 * @example
 * const { files } = await saveStudent(result.student, 'out/');
 */
export async function saveStudent(model: tfl.LayersModel, dir: string, options: { onnx?: boolean; onnxFileName?: string } = {}): Promise<SavedStudent> {
  const tfjs = await saveTfjsModel(model, dir);
  let onnx: string | undefined;
  if (options.onnx !== false) {
    onnx = path.join(dir, options.onnxFileName ?? 'student.onnx');
    const proto = await exportTfjs(model, { name: model.name });
    await writeFileAtomic(onnx, encodeOnnx(proto));
  }
  return { tfjs, onnx, files: [...tfjs, ...(onnx ? [onnx] : [])] };
}
