import * as tf from '@tensorflow/tfjs-core';
import { type KernelFunc, sizeOf, type WasmBackendLike } from '../wasm-backend.js';
import type { GraphSpec } from './onnx-graph.js';
import { allFloat, countCall, ortRuntime, runOnHeap } from './runtime.js';

/*
 * Memory-bound kernels that the BatchNormalization gradient calls on whole activations: Tile of a
 * per-channel vector and Sum/Mean over several axes. tfjs-backend-wasm runs them through generic index
 * arithmetic or a transpose first (Tile [1,1,1,c] -> [128,28,28,c]: ~290 ms here vs ~20 ms in ORT; Mean
 * over [0,1,2]: ~45 vs ~12 ms). Broadcasting arithmetic was measured too and stays on wasm: ORT's
 * result crosses the binding as a fresh buffer (allocation, page faults, copy), which costs more than
 * the arithmetic.
 */

/** Outputs (or inputs, for reductions) smaller than this many elements stay on wasm. */
export const ORT_ELEMENTWISE_MIN = 1 << 16;

function single(kernel: string, run: (args: Parameters<KernelFunc>[0]) => tf.TensorInfo | undefined): (fallback: KernelFunc) => KernelFunc {
  return (fallback) => (args) => {
    const out = run(args);
    countCall(kernel, out ? 'ort' : 'wasm');
    return out ?? fallback(args);
  };
}

function tile(args: Parameters<KernelFunc>[0]): tf.TensorInfo | undefined {
  const rt = ortRuntime();
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { reps } = args.attrs as unknown as tf.TileAttrs;
  if (!rt || !allFloat(x) || reps.length !== x.shape.length || x.shape.length === 0) return undefined;
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  if (sizeOf(outShape) < ORT_ELEMENTWISE_MIN) return undefined;
  const graph = (): GraphSpec => ({
    nodes: [{ op: 'Tile', inputs: ['X', 'reps'], outputs: ['Y'] }],
    inputs: [{ name: 'X', shape: x.shape }],
    outputs: [{ name: 'Y', shape: outShape }],
    constants: [{ name: 'reps', shape: [reps.length], values: reps, int64: true }],
  });
  return runOnHeap(rt, args.backend as WasmBackendLike, `Tile:${x.shape}:${reps}`, graph, [{ name: 'X', info: x }], outShape);
}

function reduce(kernel: 'Sum' | 'Mean') {
  return (args: Parameters<KernelFunc>[0]): tf.TensorInfo | undefined => {
    const rt = ortRuntime();
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    if (!rt || !allFloat(x) || rank === 0 || sizeOf(x.shape) < ORT_ELEMENTWISE_MIN) return undefined;
    // tfjs passes a null axis for "every axis".
    const requested: number[] = axis == null ? x.shape.map((_, i) => i) : Array.isArray(axis) ? axis : [axis];
    const axes = [...new Set(requested.map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
    if (axes.length === 0 || axes.some((a) => a < 0 || a >= rank)) return undefined;
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    const graph = (): GraphSpec =>
      kernel === 'Sum'
        ? {
            nodes: [{ op: 'ReduceSum', inputs: ['X', 'axes'], outputs: ['Y'], attributes: { keepdims: keepDims ? 1 : 0 } }],
            inputs: [{ name: 'X', shape: x.shape }],
            outputs: [{ name: 'Y', shape: outShape }],
            constants: [{ name: 'axes', shape: [axes.length], values: axes, int64: true }],
          }
        : {
            nodes: [{ op: 'ReduceMean', inputs: ['X'], outputs: ['Y'], attributes: { axes, keepdims: keepDims ? 1 : 0 } }],
            inputs: [{ name: 'X', shape: x.shape }],
            outputs: [{ name: 'Y', shape: outShape }],
          };
    return runOnHeap(rt, args.backend as WasmBackendLike, `${kernel}:${x.shape}:${axes}:${keepDims ? 1 : 0}`, graph, [{ name: 'X', info: x }], outShape);
  };
}

/** The memory-bound kernels that run in ORT above {@link ORT_ELEMENTWISE_MIN} elements, each wrapping its wasm kernel. */
export const ortElementwiseKernels: Readonly<Record<string, (fallback: KernelFunc) => KernelFunc>> = {
  [tf.Tile]: single(tf.Tile, tile),
  [tf.Sum]: single(tf.Sum, reduce('Sum')),
  [tf.Mean]: single(tf.Mean, reduce('Mean')),
};
