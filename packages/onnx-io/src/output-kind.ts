import type { OutputKind } from '@shrinkray/tensor-core';
import type { ModelProto } from './types.js';

/**
 * The `metadata_props` key under which a model declares what its first output holds, `logits` or
 * `probabilities` (shrinkray's fused ensembles write `probabilities`).
 */
export const OUTPUT_KIND_METADATA_KEY = 'shrinkray.output_kind';

/**
 * What the model's metadata declares its first output to hold, or `undefined` when it declares
 * nothing (or an unknown value).
 *
 * @example
 * declaredOutputKind(fused); // 'probabilities'
 */
export function declaredOutputKind(model: ModelProto): OutputKind | undefined {
  const value = model.metadataProps?.find((p) => p.key === OUTPUT_KIND_METADATA_KEY)?.value;
  return value === 'logits' || value === 'probabilities' ? value : undefined;
}
