import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining, batchNormTrainingFusable } from './batch-norm-training.js';

/*
 * tfjs-layers' BatchNormalization computes its training-mode statistics with `tf.moments` before
 * calling `tf.batchNorm`, so no kernel or gradient registration alone sees the statistics and the
 * normalisation together. While the wasm kernel fixes are applied, the layer class's `call` runs
 * training mode on the wasm backend as one op (`ShrinkrayBatchNormTraining`, `batch-norm-training.ts`)
 * and updates the moving averages exactly as tfjs-layers does; every other case (inference, other
 * backends, axes other than the last, no scale or no centre, channels not a multiple of 4) runs
 * tfjs-layers' own code. Models, weights and their saved form are unchanged.
 */

/** The parts of tfjs-layers' BatchNormalization layer the fused call reads. */
interface LayerVariableLike {
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}
interface BatchNormalizationLike {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma?: LayerVariableLike;
  beta?: LayerVariableLike;
  movingMean: LayerVariableLike;
  movingVariance: LayerVariableLike;
}
type Call = (this: BatchNormalizationLike, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

/** The class's original `call` while patched. */
let originalCall: Call | undefined;

function layerClass(): { prototype: { call: Call } } | undefined {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization'] as [{ className?: string; prototype: { call?: Call } }, unknown] | undefined;
  const cls = entry?.[0];
  return cls && cls.className === 'BatchNormalization' && typeof cls.prototype.call === 'function' ? (cls as { prototype: { call: Call } }) : undefined;
}

/** tfjs-layers' moving-average update, op for op (so the moving statistics match its own path). */
function movingAverage(variable: LayerVariableLike, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const decay = 1 - momentum;
    const origValue = variable.read();
    const updateDelta = tf.mul(tf.sub(origValue, value), decay);
    variable.write(tf.sub(origValue, updateDelta));
  });
}

function fusedCall(original: Call): Call {
  return function call(this: BatchNormalizationLike, inputs, kwargs) {
    const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const gamma = this.gamma;
    const beta = this.beta;
    // tfjs-layers tests `training` for truthiness.
    const training = Boolean(kwargs?.['training']);
    if (!training || !input || !gamma || !beta) return original.call(this, inputs, kwargs);
    const axis = this.axis >= 0 ? this.axis : this.axis + input.rank;
    if (axis !== input.rank - 1 || !batchNormTrainingFusable(input)) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const [y, mean, variance] = batchNormTraining(input, gamma.read(), beta.read(), this.epsilon);
      movingAverage(this.movingMean, mean, this.momentum);
      movingAverage(this.movingVariance, variance, this.momentum);
      return y;
    });
  };
}

/**
 * Routes tfjs-layers' BatchNormalization training mode through the fused op (wasm only, see above).
 * Idempotent; a no-op when tfjs-layers has not registered the layer.
 */
export function patchBatchNormalizationLayer(): boolean {
  if (originalCall) return true;
  const cls = layerClass();
  if (!cls) return false;
  originalCall = cls.prototype.call;
  cls.prototype.call = fusedCall(originalCall);
  return true;
}

/** Restores tfjs-layers' own BatchNormalization `call`. */
export function unpatchBatchNormalizationLayer(): void {
  const cls = layerClass();
  if (cls && originalCall) cls.prototype.call = originalCall;
  originalCall = undefined;
}
