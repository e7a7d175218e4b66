import type { AggregatorPlugin, FittedAggregator } from '@shrinkray/ensemble';
import { softmax, Tensor } from '@shrinkray/tensor-core';

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/**
 * Per-class median of the members' probabilities, each row renormalised to sum to 1. Robust to one
 * member that is confidently wrong, where `mean` is pulled along. Needs no validation split and has
 * no ONNX form (so `--fuse` refuses it).
 */
export const medianAggregator: AggregatorPlugin = {
  name: 'median',
  description: 'per-class median of member probabilities, renormalised',
  requiresValidation: false,
  fit(): FittedAggregator {
    return {
      name: 'median',
      weights: null,
      notes: [],
      combine(logits) {
        const probabilities = logits.map((l) => softmax(l).data);
        const [rows, classes] = logits[0]!.shape as [number, number];
        const out = new Float32Array(rows * classes);
        for (let r = 0; r < rows; r++) {
          let sum = 0;
          for (let c = 0; c < classes; c++) {
            const i = r * classes + c;
            const m = median(probabilities.map((p) => p[i]!));
            out[i] = m;
            sum += m;
          }
          for (let c = 0; c < classes; c++) out[r * classes + c] = sum > 0 ? out[r * classes + c]! / sum : 1 / classes;
        }
        return new Tensor('float32', [rows, classes], out);
      },
      toJSON: () => ({ name: 'median' }),
    };
  },
};
