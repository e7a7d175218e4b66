import { Tensor } from '@shrinkray/tensor-core';
import { argmaxRows, softmaxRows } from '../math.js';
import type { OnnxInitializerSpec, OnnxNodeSpec } from '../onnx/fragment.js';
import { checkLogits, fragmentOpset, scalar } from './common.js';
import type { AggregatorPlugin, FittedAggregator } from './types.js';

/** How much of the mean probability is added to the vote counts (< 1 keeps the majority intact). */
export const voteTieBreakWeight = 0.5;

function fittedVote(n: number, numClasses: number): FittedAggregator {
  const c = voteTieBreakWeight;
  return {
    name: 'vote',
    weights: new Array<number>(n).fill(1 / n),
    notes: [],
    combine(logits) {
      const { rows, cols } = checkLogits(logits, n, numClasses);
      const score = new Float64Array(rows * cols);
      for (const t of logits) {
        const choice = argmaxRows(t.data, rows, cols);
        const p = softmaxRows(t);
        for (let k = 0; k < rows; k++) score[k * cols + choice[k]!] = score[k * cols + choice[k]!]! + 1;
        for (let k = 0; k < score.length; k++) score[k] = score[k]! + (c / n) * p[k]!;
      }
      const out = new Float32Array(score.length);
      for (let k = 0; k < score.length; k++) out[k] = score[k]! / (n + c);
      return new Tensor('float32', [rows, cols], out);
    },
    toOnnx(io) {
      const nodes: OnnxNodeSpec[] = [];
      const depth = `${io.prefix}depth`;
      const values = `${io.prefix}onehot_values`;
      const initializers: OnnxInitializerSpec[] = [
        { name: depth, tensor: new Tensor('int64', [], BigInt64Array.of(BigInt(io.numClasses))) },
        { name: values, tensor: new Tensor('float32', [2], Float32Array.of(0, 1)) },
        scalar(`${io.prefix}tie_weight`, c / n),
        scalar(`${io.prefix}norm`, 1 / (n + c)),
      ];
      const votes: string[] = [];
      const probs: string[] = [];
      for (const [i, input] of io.memberLogits.entries()) {
        nodes.push({ opType: 'ArgMax', name: `${io.prefix}argmax${i}`, inputs: [input], outputs: [`${io.prefix}choice${i}`], attributes: { axis: { type: 'int', value: 1 }, keepdims: { type: 'int', value: 0 } } });
        nodes.push({ opType: 'OneHot', name: `${io.prefix}onehot${i}`, inputs: [`${io.prefix}choice${i}`, depth, values], outputs: [`${io.prefix}vote${i}`], attributes: { axis: { type: 'int', value: -1 } } });
        nodes.push({ opType: 'Softmax', name: `${io.prefix}softmax${i}`, inputs: [input], outputs: [`${io.prefix}p${i}`], attributes: { axis: { type: 'int', value: 1 } } });
        votes.push(`${io.prefix}vote${i}`);
        probs.push(`${io.prefix}p${i}`);
      }
      nodes.push({ opType: 'Sum', name: `${io.prefix}votes`, inputs: votes, outputs: [`${io.prefix}votes`] });
      nodes.push({ opType: 'Sum', name: `${io.prefix}psum`, inputs: probs, outputs: [`${io.prefix}psum`] });
      nodes.push({ opType: 'Mul', name: `${io.prefix}tie`, inputs: [`${io.prefix}psum`, `${io.prefix}tie_weight`], outputs: [`${io.prefix}tie`] });
      nodes.push({ opType: 'Add', name: `${io.prefix}score`, inputs: [`${io.prefix}votes`, `${io.prefix}tie`], outputs: [`${io.prefix}score`] });
      nodes.push({ opType: 'Mul', name: `${io.prefix}normalise`, inputs: [`${io.prefix}score`, `${io.prefix}norm`], outputs: [io.output] });
      return { nodes, initializers, minOpset: fragmentOpset };
    },
    toJSON() {
      return { name: 'vote', tieBreak: 'higher mean probability, then lower class index', tieBreakWeight: c };
    },
  };
}

/**
 * `vote`: hard majority. Each member votes for its top class (the lowest class index if its own top
 * scores tie). The output row is `(votes_c + ½·p̄_c) / (n + ½)`, where `p̄` is the members' mean
 * probability: it sums to 1, its argmax is the majority class, and a tie in votes goes to the class
 * with the higher mean probability (then the lower class index). The ½·p̄ term also keeps every
 * class's probability above 0, so NLL stays finite.
 */
export const voteAggregator: AggregatorPlugin = {
  name: 'vote',
  description: 'hard majority vote; ties go to the higher mean probability, then the lower class index',
  requiresValidation: false,
  fit: ({ numMembers, numClasses }) => fittedVote(numMembers, numClasses),
};
