import { Tensor } from '@shrinkray/tensor-core';
import { AggregatorFitError } from '../errors/aggregator-fit-error.js';
import { MemberMismatchError } from '../errors/member-mismatch-error.js';
import { accuracyOf, nllOf, outputShape, softmaxRows } from '../math.js';
import type { OnnxAggregatorIo, OnnxFragment, OnnxInitializerSpec, OnnxNodeSpec } from '../onnx/fragment.js';
import type { AggregatorFitInput, FittedAggregator, LabelledOutputs } from './types.js';

/** The default-domain opset the built-in fragments need (Softmax/LogSoftmax with `axis`, OneHot). */
export const fragmentOpset = 13;

/** Checks that `logits` has one `[N, C]` tensor per member with the expected C. */
export function checkLogits(logits: readonly Tensor<'float32'>[], members: number, classes: number, names?: readonly string[]): { rows: number; cols: number } {
  if (logits.length !== members) {
    throw new MemberMismatchError({ member: 'ensemble', index: logits.length, what: 'member outputs', expected: `${members} tensors (one per member)`, found: `${logits.length}` });
  }
  const shape = outputShape(logits, names);
  if (shape.cols !== classes) {
    throw new MemberMismatchError({ member: names?.[0] ?? 'member 0', index: 0, what: 'classes', expected: `${classes}`, found: `${shape.cols}` });
  }
  return shape;
}

/** The validation outputs, or an error naming the aggregator that needs them. */
export function requireValidation(name: string, input: AggregatorFitInput): LabelledOutputs {
  const validation = input.validation;
  if (!validation) throw new AggregatorFitError(name, 'needs a validation split (member outputs and labels) to fit');
  const { rows } = checkLogits(validation.logits, input.numMembers, input.numClasses, input.memberNames);
  if (validation.labels.length !== rows) throw new AggregatorFitError(name, `validation has ${rows} rows of outputs but ${validation.labels.length} labels`);
  if (rows === 0) throw new AggregatorFitError(name, 'the validation split is empty');
  return validation;
}

/** Accuracy and NLL of each member on labelled outputs. */
export function memberScores(validation: LabelledOutputs): { accuracy: number; nll: number }[] {
  return validation.logits.map((t) => {
    const rows = t.shape[0]!;
    const cols = t.shape[1]!;
    const p = softmaxRows(t);
    return { accuracy: accuracyOf(t.data, rows, cols, validation.labels), nll: nllOf(p, rows, cols, validation.labels) };
  });
}

/** Index of the best member: highest accuracy, then lowest NLL, then lowest index. */
export function bestMember(scores: readonly { accuracy: number; nll: number }[]): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) {
    const a = scores[i]!;
    const b = scores[best]!;
    if (a.accuracy > b.accuracy || (a.accuracy === b.accuracy && a.nll < b.nll)) best = i;
  }
  return best;
}

/** Blend fractions tried by `shrinkTowardBest`, from 0 (the fit as is) to 1 (the best member). */
export const shrinkGrid: readonly number[] = Array.from({ length: 21 }, (_, i) => i / 20);

/**
 * The smallest blend fraction `t` (on `shrinkGrid`) at which `accuracyAt(t)` reaches `target`; `t = 1`
 * is the best member itself, so it always qualifies. Used by `optimized` and `stacking` to stay at least
 * as accurate as the best member on their fit split while keeping as much of the fit as they can.
 */
export function shrinkTowardBest(accuracyAt: (t: number) => number, target: number): { t: number; accuracy: number } {
  for (const t of shrinkGrid) {
    const accuracy = accuracyAt(t);
    if (accuracy >= target) return { t, accuracy };
  }
  return { t: 1, accuracy: accuracyAt(1) };
}

/** A scalar float32 initializer. */
export function scalar(name: string, value: number): OnnxInitializerSpec {
  return { name, tensor: new Tensor('float32', [], Float32Array.of(value)) };
}

/**
 * A linear opinion pool `y = Σ wᵢ·softmax(zᵢ)` as a fitted aggregator: JS `combine` in float64 and
 * ONNX nodes Softmax -> Mul -> Sum.
 */
export function linearPool(name: string, weights: readonly number[], numClasses: number, notes: readonly string[] = [], extra: Record<string, unknown> = {}): FittedAggregator {
  const w = [...weights];
  return {
    name,
    weights: w,
    notes,
    combine(logits) {
      const { rows, cols } = checkLogits(logits, w.length, numClasses);
      const acc = new Float64Array(rows * cols);
      for (const [i, t] of logits.entries()) {
        const wi = w[i]!;
        if (wi === 0) continue;
        const p = softmaxRows(t);
        for (let k = 0; k < acc.length; k++) acc[k] = acc[k]! + wi * p[k]!;
      }
      return new Tensor('float32', [rows, cols], Float32Array.from(acc));
    },
    toOnnx(io: OnnxAggregatorIo): OnnxFragment {
      const nodes: OnnxNodeSpec[] = [];
      const initializers: OnnxInitializerSpec[] = [];
      const terms: string[] = [];
      for (const [i, input] of io.memberLogits.entries()) {
        const wi = w[i]!;
        if (wi === 0) continue;
        const p = `${io.prefix}p${i}`;
        nodes.push({ opType: 'Softmax', name: `${io.prefix}softmax${i}`, inputs: [input], outputs: [p], attributes: { axis: { type: 'int', value: 1 } } });
        const weight = `${io.prefix}w${i}`;
        initializers.push(scalar(weight, wi));
        const term = `${io.prefix}wp${i}`;
        nodes.push({ opType: 'Mul', name: `${io.prefix}mul${i}`, inputs: [p, weight], outputs: [term] });
        terms.push(term);
      }
      nodes.push({ opType: 'Sum', name: `${io.prefix}sum`, inputs: terms, outputs: [io.output] });
      return { nodes, initializers, minOpset: fragmentOpset };
    },
    toJSON() {
      return { name, weights: w, notes, ...extra };
    },
  };
}
