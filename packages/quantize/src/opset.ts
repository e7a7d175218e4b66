import type { ModelProto } from '@shrinkray/onnx-io';
import { OpsetTooOldError } from './errors/opset-too-old-error.js';
import { defaultOpset, nodeLabel } from './graph.js';

/**
 * Ops whose definition is the same from the given opset up to 13 (so a model importing at least that
 * opset can import 13 instead). Ops not listed, or older than listed, block the upgrade.
 */
const stableSince: Record<string, number> = {
  Conv: 11,
  ConvTranspose: 11,
  Gemm: 11,
  MatMul: 9,
  Relu: 6,
  LeakyRelu: 6,
  Sigmoid: 6,
  Tanh: 6,
  MaxPool: 12,
  AveragePool: 11,
  GlobalAveragePool: 1,
  GlobalMaxPool: 1,
  Add: 7,
  Sub: 7,
  Mul: 7,
  Div: 7,
  Concat: 11,
  Flatten: 11,
  Reshape: 5,
  Transpose: 1,
  BatchNormalization: 9,
  Clip: 12,
  Identity: 1,
  Dropout: 12,
  Constant: 12,
  Shape: 1,
  Gather: 11,
  Pad: 11,
};

/** Opset `QuantizeLinear`/`DequantizeLinear` with an `axis` (per-channel) need. */
export const QDQ_OPSET = 13;

/**
 * Makes sure a model imports at least `required` for the default domain: returns it unchanged when it
 * does, a copy importing `required` when every op it uses is unchanged between its opset and
 * `required`.
 *
 * @throws OpsetTooOldError naming the file and the first node that blocks the upgrade.
 */
export function ensureOpset(model: ModelProto, required: number, file: string): { model: ModelProto; upgradedFrom: number | null } {
  const opset = defaultOpset(model);
  if (opset >= required) return { model, upgradedFrom: null };
  if (opset < 7) throw new OpsetTooOldError({ file, opset, required, node: null, detail: 'opsets before 7 are not upgraded' });
  for (const [i, node] of model.graph.node.entries()) {
    if (node.domain && node.domain !== '' && node.domain !== 'ai.onnx') continue;
    const since = stableSince[node.opType];
    if (since === undefined || opset < since) {
      throw new OpsetTooOldError({
        file,
        opset,
        required,
        node: `${nodeLabel(node, i)} (${node.opType})`,
        detail: since === undefined ? `${node.opType} is not known to keep its meaning up to opset ${required}` : `${node.opType} changed between opset ${opset} and ${since}`,
      });
    }
  }
  const upgraded = structuredClone(model);
  upgraded.opsetImport = upgraded.opsetImport.map((o) => ((o.domain ?? '') === '' || o.domain === 'ai.onnx' ? { ...o, version: required } : o));
  upgraded.irVersion = Math.max(upgraded.irVersion, 7);
  return { model: upgraded, upgradedFrom: opset };
}
