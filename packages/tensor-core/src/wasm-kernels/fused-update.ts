import * as tf from '@tensorflow/tfjs-core';
import { WASM } from './wasm-backend.js';

/*
 * What the fused optimizers (Adam, AdamW, SGD with momentum) share: which variable each gradient
 * updates, whether the one-kernel update can run, and writing its outputs back into the variables.
 */

/** A gradient and the variable it updates, in the order tfjs' optimizers number their slots. */
export interface FusedTarget {
  readonly name: string;
  readonly value: tf.Variable;
  readonly gradient: tf.Tensor;
}

/** The argument of `tf.Optimizer.applyGradients`. */
export type VariableGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/**
 * The variables and gradients of `variableGradients` when the fused `kernel` can update them all (wasm
 * backend, kernel registered, every variable and gradient float32), else undefined (the caller then
 * runs tfjs' own per-variable update).
 */
export function fusedTargets(variableGradients: VariableGradients, kernel: string): FusedTarget[] | undefined {
  if (tf.getBackend() !== WASM || tf.getKernel(kernel, WASM) === undefined) return undefined;
  const named: { name: string; tensor: tf.Tensor | undefined }[] = Array.isArray(variableGradients)
    ? variableGradients.map((v: { name: string; tensor: tf.Tensor }) => ({ name: v.name, tensor: v.tensor }))
    : Object.keys(variableGradients).map((name) => ({ name, tensor: (variableGradients as Record<string, tf.Tensor | undefined>)[name] }));
  const targets: FusedTarget[] = [];
  for (const { name, tensor } of named) {
    const value = tf.engine().registeredVariables[name];
    if (tensor === undefined || tensor.dtype !== 'float32' || value?.dtype !== 'float32') return undefined;
    targets.push({ name, value, gradient: tensor });
  }
  return targets;
}

/** A zero-filled, non-trainable slot variable named as tfjs' optimizers name theirs. */
export function zeroSlot(value: tf.Variable, originalName: string): { originalName: string; variable: tf.Variable } {
  return { originalName, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
}

/**
 * Runs the fused `kernel` once and assigns its outputs, in order, to `outputs` (per variable: the
 * variable itself, then its slots).
 */
export function runFusedUpdate(kernel: string, inputs: tf.NamedTensorMap, attrs: Record<string, number | boolean>, outputs: readonly tf.Variable[]): void {
  tf.tidy(() => {
    const out = tf.engine().runKernel(kernel, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
    outputs.forEach((variable, i) => {
      variable.assign(out[i]!);
    });
  });
}
