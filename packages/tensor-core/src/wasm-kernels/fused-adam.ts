import * as tf from '@tensorflow/tfjs-core';
import { heapF32, type KernelFunc, WASM, type WasmBackendLike } from './wasm-backend.js';

/*
 * tfjs' Adam updates every variable with a chain of ~12 small kernels (mul, add, square, div, sqrt, ...),
 * each a full pass over the variable and a new buffer: for an MLP 784-512-512-10 on wasm about as much
 * time as the matrix products once those run in ORT. This kernel updates all variables and both moments
 * in one call and one pass over the wasm heap.
 */

/** Name of the fused Adam update kernel (registered for the wasm backend only). */
export const FUSED_ADAM = 'ShrinkrayFusedAdam';

interface FusedAdamAttrs {
  count: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/**
 * Inputs `accBeta1`, `accBeta2` (scalars: β^t before this step) and, per variable i, `v{i}`, `g{i}`,
 * `m{i}`, `s{i}` (value, gradient, first and second moment). Outputs the new value, first and second
 * moment of every variable, in that order.
 */
export const fusedAdamKernel: KernelFunc = (args) => {
  const backend = args.backend as WasmBackendLike;
  const inputs = args.inputs as Record<string, tf.TensorInfo>;
  const { count, learningRate, beta1, beta2, epsilon } = args.attrs as unknown as FusedAdamAttrs;
  const outputs: tf.TensorInfo[] = [];
  for (let i = 0; i < count; i++) {
    const shape = inputs[`v${i}`]!.shape;
    outputs.push(backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32'));
  }
  // Views after the last allocation (growing the heap detaches earlier ones).
  const correction1 = 1 - heapF32(backend, inputs['accBeta1']!)[0]!;
  const correction2 = 1 - heapF32(backend, inputs['accBeta2']!)[0]!;
  const b1 = 1 - beta1;
  const b2 = 1 - beta2;
  const rate = learningRate / correction1;
  const inverse2 = 1 / correction2;
  for (let i = 0; i < count; i++) {
    const value = heapF32(backend, inputs[`v${i}`]!);
    const grad = heapF32(backend, inputs[`g${i}`]!);
    const m = heapF32(backend, inputs[`m${i}`]!);
    const s = heapF32(backend, inputs[`s${i}`]!);
    const outValue = heapF32(backend, outputs[3 * i]!);
    const outM = heapF32(backend, outputs[3 * i + 1]!);
    const outS = heapF32(backend, outputs[3 * i + 2]!);
    for (let j = 0; j < value.length; j++) {
      const g = grad[j]!;
      const mj = beta1 * m[j]! + b1 * g;
      const sj = beta2 * s[j]! + b2 * g * g;
      outM[j] = mj;
      outS[j] = sj;
      outValue[j] = value[j]! - (rate * mj) / (Math.sqrt(sj * inverse2) + epsilon);
    }
  }
  return outputs;
};

/** The private state of tfjs' AdamOptimizer that the fused update reads and writes. */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
}

/**
 * tfjs' Adam with the whole update in one {@link FUSED_ADAM} kernel call per step when the wasm
 * backend runs with shrinkray's kernels; the stock per-variable update otherwise. Same slots, names,
 * serialisation and checkpoints as `tf.train.adam` (it is an `AdamOptimizer`), same results within
 * float32 rounding.
 *
 * @example
 * const optimizer = new FusedAdamOptimizer(1e-3);
 * optimizer.minimize(() => loss(), false, vars);
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  constructor(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon);
  }

  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const named: { name: string; tensor: tf.Tensor | undefined }[] = Array.isArray(variableGradients)
      ? variableGradients.map((v: { name: string; tensor: tf.Tensor }) => ({ name: v.name, tensor: v.tensor }))
      : Object.keys(variableGradients).map((name) => ({ name, tensor: (variableGradients as Record<string, tf.Tensor | undefined>)[name] }));
    const usable =
      tf.getBackend() === WASM &&
      tf.getKernel(FUSED_ADAM, WASM) !== undefined &&
      named.every(({ name, tensor }) => tensor !== undefined && tensor.dtype === 'float32' && tf.engine().registeredVariables[name]?.dtype === 'float32');
    if (!usable) {
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as AdamState;
    const inputs: tf.NamedTensorMap = { accBeta1: state.accBeta1, accBeta2: state.accBeta2 };
    const slots: { value: tf.Variable; m: tf.Variable; s: tf.Variable }[] = [];
    named.forEach(({ name, tensor }, i) => {
      const value = tf.engine().registeredVariables[name]!;
      // Slots are created as tfjs' Adam creates them (same names, so getWeights/setWeights match).
      state.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      state.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      const m = state.accumulatedFirstMoment[i]!.variable;
      const s = state.accumulatedSecondMoment[i]!.variable;
      inputs[`v${i}`] = value;
      inputs[`g${i}`] = tensor!;
      inputs[`m${i}`] = m;
      inputs[`s${i}`] = s;
      slots.push({ value, m, s });
    });
    const attrs = { count: slots.length, learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
    tf.tidy(() => {
      const out = tf.engine().runKernel(FUSED_ADAM, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
      slots.forEach(({ value, m, s }, i) => {
        value.assign(out[3 * i]!);
        m.assign(out[3 * i + 1]!);
        s.assign(out[3 * i + 2]!);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}
