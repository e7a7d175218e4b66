import { decodeOnnx, isTextGraph, OnnxModel, OnnxTextModel } from '@shrinkray/onnx-io';

/** Options of {@link openScoringModel}. */
export interface ScoringModelOptions {
  name: string;
  /** Text classifiers: the pad token id that makes `attention_mask` (default 0). */
  padId?: number;
  /** Run on the native binding directly (for latency measurements). */
  lowLatency?: boolean;
}

/**
 * An ORT model to score or time on one intra-op thread: an `OnnxTextModel` (int32 token ids in,
 * `input_ids`/`attention_mask`/`token_type_ids` fed) for a text classifier graph, else an `OnnxModel`.
 */
export async function openScoringModel(bytes: Uint8Array, options: ScoringModelOptions): Promise<OnnxModel | OnnxTextModel> {
  const common = { name: options.name, intraOpNumThreads: 1, ...(options.lowLatency ? { lowLatency: true } : {}) };
  if (isTextGraph(decodeOnnx(bytes, { name: options.name }))) return OnnxTextModel.create(bytes, { ...common, padId: options.padId ?? 0 });
  return OnnxModel.create(bytes, common);
}
