import { beforeAll, describe, expect, it } from 'vitest';
import { FusedAdamOptimizer, FusedAdamWOptimizer } from './fused-adam.js';
import { FusedMomentumOptimizer } from './fused-momentum.js';
import { expectClose, expectNoLeaks, randomData, tf, useWasm } from './kit.test.shared.js';

beforeAll(useWasm);

// [45]: the SIMD update's scalar tail (45 = 4·11 + 1).
const shapes = [[64, 48], [45], [3, 3, 4, 8]];

interface Slotted {
  accumulatedFirstMoment?: { originalName: string }[];
  accumulations?: { originalName: string }[];
}

/**
 * Five steps of `make()`'s optimizer on a fixed quadratic-ish loss; final variable values and slot names.
 * `beforeApply` runs between computing and applying each step's gradients (the decoupled decay of the
 * AdamW reference).
 */
function run(make: () => tf.Optimizer, beforeApply?: (vars: tf.Variable[]) => void): { values: Float32Array[]; slots: string[] } {
  const vars = shapes.map((shape, i) => tf.variable(tf.tensor(randomData(shape, 70 + i).values, shape), true, `fa${i}_${Math.random()}`));
  const targets = shapes.map((shape, i) => tf.tensor(randomData(shape, 80 + i).values, shape));
  const optimizer = make();
  for (let step = 0; step < 5; step++) {
    const { value, grads } = optimizer.computeGradients(() => tf.addN(vars.map((v, i) => tf.sum(tf.mul(tf.square(tf.sub(v, targets[i]!)), tf.abs(targets[i]!))))) as tf.Scalar, vars);
    beforeApply?.(vars);
    optimizer.applyGradients(grads);
    tf.dispose([value, ...Object.values(grads)]);
  }
  const values = vars.map((v) => v.dataSync() as Float32Array);
  // Slot names without the per-run suffix of the variable names.
  const slotted = optimizer as unknown as Slotted;
  const slots = (slotted.accumulatedFirstMoment ?? slotted.accumulations ?? []).map((s) => s.originalName.replace(/_.*\//, '/'));
  optimizer.dispose();
  tf.dispose([...vars, ...targets]);
  return { values, slots };
}

/** The fused optimizer on wasm against `reference` (tfjs' own optimizer) on the cpu backend. */
async function compare(fused: () => tf.Optimizer, reference: () => tf.Optimizer, beforeApply?: (vars: tf.Variable[]) => void): Promise<void> {
  const got = run(fused);
  await tf.setBackend('cpu');
  const expected = run(reference, beforeApply);
  await useWasm();
  for (const [i, v] of got.values.entries()) expectClose(v, expected.values[i]!, 1e-4);
  expect(got.slots).toEqual(expected.slots);
}

/** Counts `kernel` calls over 20 steps (after the one that creates the slots) and checks for leaks. */
function callsAndLeaks(make: () => tf.Optimizer, kernel: string): number {
  const vars = shapes.map((shape) => tf.variable(tf.randomNormal(shape), true));
  const optimizer = make();
  const loss = () => tf.addN(vars.map((v) => tf.sum(tf.square(v)))) as tf.Scalar;
  optimizer.minimize(loss, false, vars); // creates the slots
  let kernels = 0;
  const counter = tf.engine().runKernel.bind(tf.engine());
  tf.engine().runKernel = (name, inputs, attrs) => {
    if (name === kernel) kernels++;
    return counter(name, inputs, attrs);
  };
  try {
    expectNoLeaks(() => {
      for (let i = 0; i < 20; i++) optimizer.minimize(loss, false, vars);
    });
  } finally {
    tf.engine().runKernel = counter;
  }
  optimizer.dispose();
  tf.dispose(vars);
  return kernels;
}

describe('FusedAdamOptimizer', () => {
  it('equals tf.train.adam on the cpu backend (values and slot names)', async () => {
    await compare(
      () => new FusedAdamOptimizer(0.05, 0.8, 0.95, 1e-6),
      () => tf.train.adam(0.05, 0.8, 0.95, 1e-6),
    );
    expect(run(() => new FusedAdamOptimizer(0.05)).slots).toEqual(['fa0/m', 'fa1/m', 'fa2/m']);
  });

  it('runs the fused kernel once per step and leaks nothing', () => {
    expect(callsAndLeaks(() => new FusedAdamOptimizer(0.01), 'ShrinkrayFusedAdam')).toBe(20);
  });
});

describe('FusedAdamWOptimizer', () => {
  const [lr, decay] = [0.05, 0.3];
  // AdamW by definition (PyTorch's AdamW): gradients at v, then v ← v·(1 − lr·decay), then tfjs' own Adam step.
  const decayFirst = (vars: tf.Variable[]) =>
    tf.tidy(() => {
      for (const v of vars) v.assign(tf.mul(v, 1 - lr * decay));
    });

  it('equals tfjs Adam after a decoupled decay of each step on the cpu backend', async () => {
    await compare(() => new FusedAdamWOptimizer(lr, decay, 0.8, 0.95, 1e-6), () => tf.train.adam(lr, 0.8, 0.95, 1e-6), decayFirst);
  });

  it('takes the same steps on the cpu backend (its unfused path)', async () => {
    await tf.setBackend('cpu');
    const unfused = run(() => new FusedAdamWOptimizer(lr, decay, 0.8, 0.95, 1e-6));
    const expected = run(() => tf.train.adam(lr, 0.8, 0.95, 1e-6), decayFirst);
    await useWasm();
    for (const [i, v] of unfused.values.entries()) expectClose(v, expected.values[i]!, 1e-6);
  });

  it('decays: differs from Adam, names itself AdamW and keeps its decay in the config', () => {
    const adam = run(() => new FusedAdamOptimizer(lr));
    const adamw = run(() => new FusedAdamWOptimizer(lr, decay));
    expect(Math.abs(adamw.values[0]![0]! - adam.values[0]![0]!)).toBeGreaterThan(1e-3);
    const optimizer = new FusedAdamWOptimizer(lr, decay);
    expect(optimizer.getClassName()).toBe('AdamW');
    expect(optimizer.getConfig()['weightDecay']).toBe(decay);
    optimizer.dispose();
  });

  it('rebuilds from its config with every hyper-parameter in place', () => {
    const original = new FusedAdamWOptimizer(lr, decay, 0.8, 0.95, 1e-6);
    const rebuilt = FusedAdamWOptimizer.fromConfig(FusedAdamWOptimizer, original.getConfig()) as FusedAdamWOptimizer;
    expect(rebuilt).toBeInstanceOf(FusedAdamWOptimizer);
    expect(rebuilt.getConfig()).toEqual({ learningRate: lr, beta1: 0.8, beta2: 0.95, epsilon: 1e-6, weightDecay: decay });
    original.dispose();
    rebuilt.dispose();
  });

  it('runs the fused kernel once per step and leaks nothing', () => {
    expect(callsAndLeaks(() => new FusedAdamWOptimizer(0.01, 0.1), 'ShrinkrayFusedAdam')).toBe(20);
  });
});

describe('FusedMomentumOptimizer', () => {
  for (const nesterov of [false, true]) {
    it(`equals tf.train.momentum${nesterov ? ' (Nesterov)' : ''} on the cpu backend (values and slot names)`, async () => {
      await compare(
        () => new FusedMomentumOptimizer(0.02, 0.85, nesterov),
        () => tf.train.momentum(0.02, 0.85, nesterov),
      );
    });
  }

  it('names its slots as tfjs does', () => {
    expect(run(() => new FusedMomentumOptimizer(0.02, 0.9)).slots).toEqual(['fa0/momentum', 'fa1/momentum', 'fa2/momentum']);
  });

  it('runs the fused kernel once per step and leaks nothing', () => {
    expect(callsAndLeaks(() => new FusedMomentumOptimizer(0.01, 0.9), 'ShrinkrayFusedMomentum')).toBe(20);
  });
});
