import { encodeOnnx, type ModelProto, OnnxFormatError, OnnxModel } from '@shrinkray/onnx-io';
import * as ort from 'onnxruntime-node';

/** Session options for quantize's own ORT sessions (quiet logs, one thread inside ops unless told). */
export function sessionOptions(extra: ort.InferenceSession.SessionOptions = {}): ort.InferenceSession.SessionOptions {
  return { ...OnnxModel.sessionOptions({ intraOpNumThreads: 1 }), logSeverityLevel: 3, ...extra };
}

/** Opens an ORT session on a model; failures are `OnnxFormatError`s naming `file`. */
export async function openSession(model: ModelProto | Uint8Array, file: string, extra: ort.InferenceSession.SessionOptions = {}): Promise<ort.InferenceSession> {
  const bytes = model instanceof Uint8Array ? model : encodeOnnx(model);
  try {
    return await ort.InferenceSession.create(bytes, sessionOptions(extra));
  } catch (error) {
    throw new OnnxFormatError(file, `onnxruntime cannot load the model: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
}
