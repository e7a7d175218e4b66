import { saveModelFiles, type SavedModelFiles } from '@shrinkray/onnx-io';
import type { tfl } from '@shrinkray/tensor-core';

/** Files written by {@link saveStudent}: onnx-io's `SavedModelFiles`. */
export type SavedStudent = SavedModelFiles;

/**
 * Saves a trained student under the model-folder naming scheme every shrinkray output uses
 * (onnx-io's `saveModelFiles`): `DIR/model.json` + `DIR/weights.bin` (tfjs) and `DIR/model.onnx`
 * (its ONNX export; NHWC image input as in tfjs), each file written atomically.
 *
 * @example
 * const { files } = await saveStudent(result.student, 'out/');
 */
export async function saveStudent(model: tfl.LayersModel, dir: string, options: { onnx?: boolean; onnxFileName?: string } = {}): Promise<SavedStudent> {
  return saveModelFiles(model, dir, options);
}
