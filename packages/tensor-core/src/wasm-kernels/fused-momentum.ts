import * as tf from '@tensorflow/tfjs-core';
import { fusedTargets, runFusedUpdate, type VariableGradients, zeroSlot } from './fused-update.js';
import { heapF32, type KernelFunc, type WasmBackendLike } from './wasm-backend.js';

/*
 * tfjs' SGD with momentum runs 3-5 small kernels per variable per step; this kernel updates every
 * variable and its accumulator in one call and one pass over the wasm heap.
 */

/** Name of the fused SGD-with-momentum update kernel (registered for the wasm backend only). */
export const FUSED_MOMENTUM = 'ShrinkrayFusedMomentum';

interface FusedMomentumAttrs {
  count: number;
  learningRate: number;
  momentum: number;
  useNesterov: boolean;
}

/**
 * Inputs, per variable i, `v{i}`, `g{i}`, `a{i}` (value, gradient, accumulator). Outputs the new value
 * and accumulator of every variable, in that order, as tfjs' `MomentumOptimizer` computes them:
 * `a ← momentum·a + g`, `v ← v − lr·a` (Nesterov: `v ← v − lr·(g + momentum·a)`).
 */
export const fusedMomentumKernel: KernelFunc = (args) => {
  const backend = args.backend as WasmBackendLike;
  const inputs = args.inputs as Record<string, tf.TensorInfo>;
  const { count, learningRate, momentum, useNesterov } = args.attrs as unknown as FusedMomentumAttrs;
  const outputs: tf.TensorInfo[] = [];
  for (let i = 0; i < count; i++) {
    const shape = inputs[`v${i}`]!.shape;
    outputs.push(backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32'));
  }
  // Views after the last allocation (growing the heap detaches earlier ones).
  for (let i = 0; i < count; i++) {
    const value = heapF32(backend, inputs[`v${i}`]!);
    const grad = heapF32(backend, inputs[`g${i}`]!);
    const acc = heapF32(backend, inputs[`a${i}`]!);
    const outValue = heapF32(backend, outputs[2 * i]!);
    const outAcc = heapF32(backend, outputs[2 * i + 1]!);
    if (useNesterov) {
      for (let j = 0; j < value.length; j++) {
        const g = grad[j]!;
        const a = momentum * acc[j]! + g;
        outAcc[j] = a;
        outValue[j] = value[j]! - learningRate * (g + momentum * a);
      }
    } else {
      for (let j = 0; j < value.length; j++) {
        const a = momentum * acc[j]! + grad[j]!;
        outAcc[j] = a;
        outValue[j] = value[j]! - learningRate * a;
      }
    }
  }
  return outputs;
};

/** The private state of tfjs' MomentumOptimizer that the fused update reads and writes. */
interface MomentumState {
  momentum: number;
  useNesterov: boolean;
  accumulations: ({ originalName: string; variable: tf.Variable } | undefined)[];
}

/**
 * tfjs' SGD with momentum with the whole update in one {@link FUSED_MOMENTUM} kernel call per step when
 * the wasm backend runs with shrinkray's kernels; the stock per-variable update otherwise. Same slots,
 * names, serialisation and checkpoints as `tf.train.momentum` (it is a `MomentumOptimizer`), same
 * results within float32 rounding.
 *
 * @example
 * const optimizer = new FusedMomentumOptimizer(0.05, 0.9);
 */
export class FusedMomentumOptimizer extends tf.MomentumOptimizer {
  override applyGradients(variableGradients: VariableGradients): void {
    const targets = fusedTargets(variableGradients, FUSED_MOMENTUM);
    if (!targets) {
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as MomentumState;
    const inputs: tf.NamedTensorMap = {};
    const outputs: tf.Variable[] = [];
    targets.forEach(({ name, value, gradient }, i) => {
      // The accumulator is created as tfjs' MomentumOptimizer creates it (same name).
      state.accumulations[i] ??= zeroSlot(value, `${name}/momentum`);
      const a = state.accumulations[i].variable;
      Object.assign(inputs, { [`v${i}`]: value, [`g${i}`]: gradient, [`a${i}`]: a });
      outputs.push(value, a);
    });
    runFusedUpdate(FUSED_MOMENTUM, inputs, { count: targets.length, learningRate: this.learningRate, momentum: state.momentum, useNesterov: state.useNesterov }, outputs);
    this.incrementIterations();
  }
}
