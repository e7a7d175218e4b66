import * as tf from '@tensorflow/tfjs-core';
import { fusedTargets, runFusedUpdate, type VariableGradients, zeroSlot } from './fused-update.js';
import { type AdamConstants, simdKernels } from './simd.js';
import { heapF32, type KernelFunc, type WasmBackendLike } from './wasm-backend.js';

/*
 * tfjs' Adam updates every variable with a chain of ~12 small kernels (mul, add, square, div, sqrt, ...),
 * each a full pass over the variable and a new buffer: for an MLP 784-512-512-10 on wasm about as much
 * time as the matrix products once those run in ORT. This kernel updates all variables and both moments
 * in one call and one pass over the wasm heap (128-bit SIMD, `simd.ts`); with a weight decay it is AdamW.
 */

/** Name of the fused Adam/AdamW update kernel (registered for the wasm backend only). */
export const FUSED_ADAM = 'ShrinkrayFusedAdam';

interface FusedAdamAttrs {
  count: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay (AdamW); 0 for Adam. */
  weightDecay: number;
}

/**
 * Inputs `accBeta1`, `accBeta2` (scalars: β^t before this step) and, per variable i, `v{i}`, `g{i}`,
 * `m{i}`, `s{i}` (value, gradient, first and second moment). Outputs the new value, first and second
 * moment of every variable, in that order. The value is first multiplied by `1 - learningRate *
 * weightDecay` (AdamW, as PyTorch's `AdamW`), then takes the Adam step.
 */
export const fusedAdamKernel: KernelFunc = (args) => {
  const backend = args.backend as WasmBackendLike;
  const inputs = args.inputs as Record<string, tf.TensorInfo>;
  const { count, learningRate, beta1, beta2, epsilon, weightDecay } = args.attrs as unknown as FusedAdamAttrs;
  const outputs: tf.TensorInfo[] = [];
  for (let i = 0; i < count; i++) {
    const shape = inputs[`v${i}`]!.shape;
    outputs.push(backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32'), backend.makeOutput(shape, 'float32'));
  }
  // Views after the last allocation (growing the heap detaches earlier ones).
  const correction1 = 1 - heapF32(backend, inputs['accBeta1']!)[0]!;
  const correction2 = 1 - heapF32(backend, inputs['accBeta2']!)[0]!;
  const k: AdamConstants = { beta1, beta2, rate: learningRate / correction1, inverse2: 1 / correction2, epsilon, decay: 1 - learningRate * (weightDecay ?? 0) };
  const simd = simdKernels(backend);
  for (let i = 0; i < count; i++) {
    const value = heapF32(backend, inputs[`v${i}`]!);
    const grad = heapF32(backend, inputs[`g${i}`]!);
    const m = heapF32(backend, inputs[`m${i}`]!);
    const s = heapF32(backend, inputs[`s${i}`]!);
    const outValue = heapF32(backend, outputs[3 * i]!);
    const outM = heapF32(backend, outputs[3 * i + 1]!);
    const outS = heapF32(backend, outputs[3 * i + 2]!);
    // 128-bit SIMD over the first multiple of 4 elements, JavaScript for the rest (or all, without SIMD).
    const lanes = simd ? value.length - (value.length % 4) : 0;
    if (simd && lanes > 0) {
      simd.adam({ value: value.byteOffset, grad: grad.byteOffset, m: m.byteOffset, s: s.byteOffset, outValue: outValue.byteOffset, outM: outM.byteOffset, outS: outS.byteOffset }, lanes, k);
    }
    adamPass(value, grad, m, s, outValue, outM, outS, k, lanes);
  }
  return outputs;
};

/** One variable's Adam(W) update from element `from` on: a single pass reading value, gradient and moments, writing all three. */
function adamPass(
  value: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  s: Float32Array,
  outValue: Float32Array,
  outM: Float32Array,
  outS: Float32Array,
  k: AdamConstants,
  from: number,
): void {
  const { beta1, beta2, rate, inverse2, epsilon, decay } = k;
  const b1 = 1 - beta1;
  const b2 = 1 - beta2;
  for (let j = from; j < value.length; j++) {
    const g = grad[j]!;
    const mj = beta1 * m[j]! + b1 * g;
    const sj = beta2 * s[j]! + b2 * g * g;
    outM[j] = mj;
    outS[j] = sj;
    outValue[j] = value[j]! * decay - (rate * mj) / (Math.sqrt(sj * inverse2) + epsilon);
  }
}

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

  /** Decoupled weight decay per step (0: Adam). */
  protected get decoupledWeightDecay(): number {
    return 0;
  }

  override applyGradients(variableGradients: VariableGradients): void {
    const targets = fusedTargets(variableGradients, FUSED_ADAM);
    if (!targets) {
      this.decayWeights(variableGradients);
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as AdamState;
    const inputs: tf.NamedTensorMap = { accBeta1: state.accBeta1, accBeta2: state.accBeta2 };
    const outputs: tf.Variable[] = [];
    targets.forEach(({ name, value, gradient }, i) => {
      // Slots are created as tfjs' Adam creates them (same names, so getWeights/setWeights match).
      state.accumulatedFirstMoment[i] ??= zeroSlot(value, `${name}/m`);
      state.accumulatedSecondMoment[i] ??= zeroSlot(value, `${name}/v`);
      const m = state.accumulatedFirstMoment[i].variable;
      const s = state.accumulatedSecondMoment[i].variable;
      Object.assign(inputs, { [`v${i}`]: value, [`g${i}`]: gradient, [`m${i}`]: m, [`s${i}`]: s });
      outputs.push(value, m, s);
    });
    const attrs = { count: targets.length, learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.decoupledWeightDecay };
    runFusedUpdate(FUSED_ADAM, inputs, attrs, outputs);
    tf.tidy(() => {
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }

  /** The unfused path's decoupled decay (AdamW): `v *= 1 - learningRate * weightDecay` before Adam's step. */
  private decayWeights(variableGradients: VariableGradients): void {
    const decay = this.decoupledWeightDecay;
    if (decay === 0) return;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v: { name: string }) => v.name) : Object.keys(variableGradients);
    tf.tidy(() => {
      for (const name of names) {
        const value = tf.engine().registeredVariables[name];
        if (value) value.assign(tf.mul(value, 1 - this.learningRate * decay));
      }
    });
  }
}

/**
 * AdamW (Loshchilov & Hutter; PyTorch's `torch.optim.AdamW`): Adam with the weight decay applied to
 * the weights directly, `v ← v·(1 − lr·weightDecay)`, before the Adam step, instead of through the
 * gradient. One {@link FUSED_ADAM} kernel call per step on the wasm backend; tfjs ops elsewhere.
 * Slots and checkpoints as tfjs' Adam; `getClassName()` is `AdamW`.
 *
 * @example
 * const optimizer = new FusedAdamWOptimizer(1e-3, 0.01);
 */
export class FusedAdamWOptimizer extends FusedAdamOptimizer {
  /** @nocollapse */
  static override get className(): string {
    return 'AdamW';
  }

  /**
   * @param learningRate step size.
   * @param weightDecay decoupled weight decay (PyTorch's default 0.01).
   */
  constructor(
    learningRate = 0.001,
    readonly weightDecay = 0.01,
    beta1 = 0.9,
    beta2 = 0.999,
    epsilon?: number,
  ) {
    super(learningRate, beta1, beta2, epsilon);
  }

  protected override get decoupledWeightDecay(): number {
    return this.weightDecay;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), weightDecay: this.weightDecay };
  }

  /** Rebuilds from {@link getConfig}; tfjs' Adam passes its constructor's four arguments, which here start at `weightDecay`. */
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    const { learningRate, weightDecay, beta1, beta2, epsilon } = config as Record<string, number>;
    return new (cls as unknown as typeof FusedAdamWOptimizer)(learningRate, weightDecay, beta1, beta2, epsilon) as unknown as T;
  }
}
