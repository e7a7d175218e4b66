import { Tensor } from '@shrinkray/tensor-core';
import { logSoftmaxRows } from '../math.js';
import type { OnnxNodeSpec } from '../onnx/fragment.js';
import { checkLogits, fragmentOpset, scalar } from './common.js';
import type { AggregatorPlugin, FittedAggregator } from './types.js';

function fittedGeometricMean(n: number, numClasses: number): FittedAggregator {
  return {
    name: 'geometric-mean',
    weights: new Array<number>(n).fill(1 / n),
    notes: [],
    combine(logits) {
      const { rows, cols } = checkLogits(logits, n, numClasses);
      const mean = new Float64Array(rows * cols);
      for (const t of logits) {
        const lp = logSoftmaxRows(t);
        for (let k = 0; k < mean.length; k++) mean[k] = mean[k]! + lp[k]! / n;
      }
      const out = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        let max = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < cols; j++) if (mean[r * cols + j]! > max) max = mean[r * cols + j]!;
        let sum = 0;
        for (let j = 0; j < cols; j++) sum += Math.exp(mean[r * cols + j]! - max);
        for (let j = 0; j < cols; j++) out[r * cols + j] = Math.exp(mean[r * cols + j]! - max) / sum;
      }
      return new Tensor('float32', [rows, cols], out);
    },
    toOnnx(io) {
      const nodes: OnnxNodeSpec[] = [];
      const logs: string[] = [];
      for (const [i, input] of io.memberLogits.entries()) {
        nodes.push({ opType: 'LogSoftmax', name: `${io.prefix}logsoftmax${i}`, inputs: [input], outputs: [`${io.prefix}lp${i}`], attributes: { axis: { type: 'int', value: 1 } } });
        logs.push(`${io.prefix}lp${i}`);
      }
      nodes.push({ opType: 'Sum', name: `${io.prefix}sum`, inputs: logs, outputs: [`${io.prefix}sum`] });
      nodes.push({ opType: 'Mul', name: `${io.prefix}mean`, inputs: [`${io.prefix}sum`, `${io.prefix}inv_n`], outputs: [`${io.prefix}mean`] });
      nodes.push({ opType: 'Softmax', name: `${io.prefix}softmax`, inputs: [`${io.prefix}mean`], outputs: [io.output], attributes: { axis: { type: 'int', value: 1 } } });
      return { nodes, initializers: [scalar(`${io.prefix}inv_n`, 1 / n)], minOpset: fragmentOpset };
    },
    toJSON() {
      return { name: 'geometric-mean' };
    },
  };
}

/**
 * `geometric-mean`: the normalised geometric mean of the members' probabilities,
 * `y ∝ exp((1/n)·Σ log yᵢ)`, i.e. softmax of the mean log-probability.
 */
export const geometricMeanAggregator: AggregatorPlugin = {
  name: 'geometric-mean',
  description: 'normalised geometric mean, softmax of the mean log-probability',
  requiresValidation: false,
  fit: ({ numMembers, numClasses }) => fittedGeometricMean(numMembers, numClasses),
};
