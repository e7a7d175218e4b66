// Shared helpers for the wasm kernel tests (not a test file itself; excluded from the package).
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers registers tfjs-core's gradients (as tensor-core's index does).
import '@tensorflow/tfjs-layers';
import { expect } from 'vitest';
import { applyWasmTrainingKernels, removeWasmTrainingKernels } from './index.js';

export { tf };

/** Makes wasm the active backend with the kernel fixes applied. */
export async function useWasm(): Promise<void> {
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('wasm backend did not start');
  await tf.ready();
  applyWasmTrainingKernels();
}

/** Values of `fn()` computed with the stock (unpatched) wasm kernels. */
export function withStockKernels(fn: () => tf.Tensor): Float32Array | Int32Array | Uint8Array {
  removeWasmTrainingKernels();
  try {
    const t = tf.tidy(() => fn());
    const values = t.dataSync() as Float32Array | Int32Array | Uint8Array;
    t.dispose();
    return values;
  } finally {
    applyWasmTrainingKernels();
  }
}

/** Values of `fn()` computed on the pure-JS cpu backend (inputs passed as plain arrays). */
export async function onCpu(fn: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend('cpu');
  try {
    const t = fn();
    const values = t.dataSync() as Float32Array;
    t.dispose();
    return values;
  } finally {
    await tf.setBackend('wasm');
  }
}

/** Seeded normal data as a plain array (so it can be re-created on any backend). */
export function randomData(shape: number[], seed: number, integers = false): { shape: number[]; values: Float32Array } {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  for (let i = 0; i < size; i++) values[i] = integers ? Math.floor(next() * 4) - 2 : (next() + next() + next() - 1.5) * 2;
  return { shape, values };
}

export function tensorOf(d: { shape: number[]; values: Float32Array }): tf.Tensor {
  return tf.tensor(d.values, d.shape, 'float32');
}

/** max |a − b| / max |b|. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-4): void {
  expect(relativeError(actual, expected)).toBeLessThan(tolerance);
}

function wasmDataIds(): number {
  return (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
}

/** Runs `fn` and checks that neither tensors nor wasm buffers outlive it. */
export function expectNoLeaks(fn: () => void): void {
  const tensors = tf.memory().numTensors;
  const buffers = wasmDataIds();
  fn();
  expect(tf.memory().numTensors).toBe(tensors);
  expect(wasmDataIds()).toBe(buffers);
}

/** Result of `fn()` with the patched kernels, leak-checked. */
export function patched(fn: () => tf.Tensor): Float32Array | Int32Array | Uint8Array {
  let values: Float32Array | Int32Array | Uint8Array = new Float32Array();
  expectNoLeaks(() => {
    const t = tf.tidy(fn);
    values = t.dataSync() as Float32Array | Int32Array | Uint8Array;
    t.dispose();
  });
  return values;
}

/** Kernel names run by `fn` (through the engine, in order). */
export function kernelsOf(fn: () => void): string[] {
  const calls: string[] = [];
  const run = tf.engine().runKernel.bind(tf.engine());
  tf.engine().runKernel = (name, inputs, attrs) => {
    calls.push(name);
    return run(name, inputs, attrs);
  };
  try {
    fn();
  } finally {
    tf.engine().runKernel = run;
  }
  return calls;
}
