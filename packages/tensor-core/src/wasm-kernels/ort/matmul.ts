import * as tf from '@tensorflow/tfjs-core';
import { type KernelFunc, sizeOf, type WasmBackendLike } from '../wasm-backend.js';
import { type Epilogue, epilogueKey, epilogueNodes, supportedActivation } from './epilogue.js';
import type { GraphNode, GraphSpec } from './onnx-graph.js';
import { allFloat, type BoundInput, countCall, ortRuntime, runOnHeap } from './runtime.js';

/*
 * BatchMatMul / _FusedMatMul in ONNX Runtime: a Gemm (2-D operands, transposes as attributes) or a
 * MatMul after Transpose nodes (batched; ORT fuses them into one transposed product), then the fused
 * bias and activation. Operands are read from the wasm heap and the product written into it.
 */

/**
 * Products with fewer multiply-adds than this stay on the wasm kernel: below it the ORT call (about
 * 15-25 µs of binding and session overhead) costs more than the wasm product (measured with
 * `pnpm bench kernels`: the crossover on this machine lies near 64³).
 */
export const ORT_MATMUL_MIN_MACS = 64 * 64 * 64;

function dims(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean) {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  return { m, k, kb, n };
}

function swapLast(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/** The ONNX graph of `a·b` (+ epilogue) with output shape `out`. */
export function matMulGraph(a: readonly number[], b: readonly number[], transposeA: boolean, transposeB: boolean, out: readonly number[], e: Epilogue): GraphSpec {
  const nodes: GraphNode[] = [];
  if (a.length === 2 && b.length === 2) {
    nodes.push({ op: 'Gemm', inputs: ['A', 'B'], outputs: ['P'], attributes: { transA: transposeA ? 1 : 0, transB: transposeB ? 1 : 0 } });
  } else {
    const left = transposeA ? 'At' : 'A';
    const right = transposeB ? 'Bt' : 'B';
    if (transposeA) nodes.push({ op: 'Transpose', inputs: ['A'], outputs: ['At'], attributes: { perm: swapLast(a.length) } });
    if (transposeB) nodes.push({ op: 'Transpose', inputs: ['B'], outputs: ['Bt'], attributes: { perm: swapLast(b.length) } });
    nodes.push({ op: 'MatMul', inputs: [left, right], outputs: ['P'] });
  }
  const tail = epilogueNodes('P', 'Y', e);
  return {
    nodes: [...nodes, ...tail.nodes],
    inputs: [{ name: 'A', shape: a }, { name: 'B', shape: b }, ...tail.inputs],
    outputs: [{ name: 'Y', shape: out }],
    constants: tail.constants,
  };
}

/**
 * `a·b` (+ epilogue) in ORT when it is available and the product is large enough, else undefined (the
 * caller runs the wasm kernel).
 */
function ortProduct(backend: WasmBackendLike, kernel: string, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean, e: Epilogue): tf.TensorInfo | undefined {
  const rt = ortRuntime();
  if (!rt || a.shape.length < 2 || b.shape.length < 2 || !allFloat(a, b, e.bias, e.prelu) || !supportedActivation(e.activation)) return undefined;
  const { m, k, kb, n } = dims(a, b, transposeA, transposeB);
  if (k !== kb || m * k * n < ORT_MATMUL_MIN_MACS) return undefined;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  // tfjs multiplies flattened batches (batch i of the larger with i modulo the smaller); that equals
  // ONNX's broadcasting only when the batch shapes are equal or one side has a single batch.
  if (sizeOf(outerA) > 1 && sizeOf(outerB) > 1 && outerA.join() !== outerB.join()) return undefined;
  const batch = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const out = [...batch, m, n];
  const key = `${kernel}:${a.shape.join('x')}:${b.shape.join('x')}:${transposeA ? 1 : 0}${transposeB ? 1 : 0}:${epilogueKey(e)}`;
  const inputs: BoundInput[] = [
    { name: 'A', info: a },
    { name: 'B', info: b },
  ];
  if (e.bias) inputs.push({ name: 'bias', info: e.bias });
  if (e.prelu) inputs.push({ name: 'prelu', info: e.prelu });
  return runOnHeap(rt, backend, key, () => matMulGraph(a.shape, b.shape, transposeA, transposeB, out, e), inputs, out);
}

/** BatchMatMul: ORT for large products, `fallback` (the wasm kernel) otherwise. */
export function ortBatchMatMul(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA = false, transposeB = false } = (args.attrs ?? {}) as Partial<tf.BatchMatMulAttrs>;
    const out = ortProduct(args.backend as WasmBackendLike, tf.BatchMatMul, a, b, transposeA, transposeB, {});
    countCall(tf.BatchMatMul, out ? 'ort' : 'wasm');
    return out ?? fallback(args);
  };
}

/** _FusedMatMul (Dense layers): ORT for large products, `fallback` otherwise. */
export function ortFusedMatMul(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const inputs = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    const attrs = (args.attrs ?? {}) as Partial<tf._FusedMatMulAttrs>;
    const e: Epilogue = {
      ...(inputs.bias != null ? { bias: inputs.bias } : {}),
      ...(inputs.preluActivationWeights != null ? { prelu: inputs.preluActivationWeights } : {}),
      ...(attrs.activation !== undefined ? { activation: attrs.activation } : {}),
      ...(attrs.leakyreluAlpha !== undefined ? { leakyreluAlpha: attrs.leakyreluAlpha } : {}),
    };
    const out = ortProduct(args.backend as WasmBackendLike, tf._FusedMatMul, inputs.a, inputs.b, attrs.transposeA ?? false, attrs.transposeB ?? false, e);
    countCall(tf._FusedMatMul, out ? 'ort' : 'wasm');
    return out ?? fallback(args);
  };
}
