import { beforeAll, describe, expect, it } from 'vitest';
import { FusedAdamOptimizer } from './fused-adam.js';
import { expectClose, expectNoLeaks, randomData, tf, useWasm } from './kit.test.shared.js';

beforeAll(useWasm);

const shapes = [[64, 48], [48], [3, 3, 4, 8]];

/** Five Adam steps on a fixed quadratic-ish loss; final variable values and slot names. */
function run(make: () => tf.Optimizer): { values: Float32Array[]; slots: string[] } {
  const vars = shapes.map((shape, i) => tf.variable(tf.tensor(randomData(shape, 70 + i).values, shape), true, `fa${i}_${Math.random()}`));
  const targets = shapes.map((shape, i) => tf.tensor(randomData(shape, 80 + i).values, shape));
  const optimizer = make();
  for (let step = 0; step < 5; step++) {
    optimizer.minimize(() => tf.addN(vars.map((v, i) => tf.sum(tf.mul(tf.square(tf.sub(v, targets[i]!)), tf.abs(targets[i]!))))) as tf.Scalar, false, vars);
  }
  const values = vars.map((v) => v.dataSync() as Float32Array);
  // Slot names without the per-run suffix of the variable names.
  const moments = (optimizer as unknown as { accumulatedFirstMoment: { originalName: string }[] }).accumulatedFirstMoment;
  return { values, slots: moments.map((s) => s.originalName.replace(/_.*\//, '/')) };
}

describe('FusedAdamOptimizer', () => {
  it('equals tf.train.adam on the cpu backend (values and slot names)', async () => {
    const fused = run(() => new FusedAdamOptimizer(0.05, 0.8, 0.95, 1e-6));
    await tf.setBackend('cpu');
    const reference = run(() => tf.train.adam(0.05, 0.8, 0.95, 1e-6));
    await useWasm();
    for (const [i, v] of fused.values.entries()) expectClose(v, reference.values[i]!, 1e-5);
    expect(fused.slots).toEqual(['fa0/m', 'fa1/m', 'fa2/m']);
    expect(fused.slots).toEqual(reference.slots);
  });

  it('runs the fused kernel once per step and leaks nothing', () => {
    const vars = shapes.map((shape) => tf.variable(tf.randomNormal(shape), true));
    const optimizer = new FusedAdamOptimizer(0.01);
    const loss = () => tf.addN(vars.map((v) => tf.sum(tf.square(v)))) as tf.Scalar;
    optimizer.minimize(loss, false, vars); // creates the slots
    let kernels = 0;
    const counter = tf.engine().runKernel.bind(tf.engine());
    tf.engine().runKernel = (name, inputs, attrs) => {
      if (name === 'ShrinkrayFusedAdam') kernels++;
      return counter(name, inputs, attrs);
    };
    try {
      expectNoLeaks(() => {
        for (let i = 0; i < 20; i++) optimizer.minimize(loss, false, vars);
      });
    } finally {
      tf.engine().runKernel = counter;
    }
    expect(kernels).toBe(20);
    optimizer.dispose();
    tf.dispose(vars);
  });
});
