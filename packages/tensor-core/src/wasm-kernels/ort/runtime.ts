import type * as tf from '@tensorflow/tfjs-core';
import { heapF32, sizeOf, type WasmBackendLike } from '../wasm-backend.js';
import { loadOrt, type OrtRuntime } from './native.js';
import type { GraphSpec } from './onnx-graph.js';
import { SessionCache, type SessionCacheStats } from './sessions.js';

/** How often each kernel ran in ONNX Runtime and how often on the wasm backend. */
export type KernelUsage = Record<string, { ort: number; wasm: number }>;

const usage: KernelUsage = {};
let runtime: { ort: OrtRuntime; cache: SessionCache } | null | undefined;

/** The ORT runtime and session cache, or null when onnxruntime-node is unavailable. */
export function ortRuntime(): { ort: OrtRuntime; cache: SessionCache } | null {
  if (runtime !== undefined) return runtime;
  const ort = loadOrt();
  runtime = ort ? { ort, cache: new SessionCache(ort) } : null;
  return runtime;
}

/** Counts one call of `kernel` on `where`. */
export function countCall(kernel: string, where: 'ort' | 'wasm'): void {
  const entry = usage[kernel] ?? { ort: 0, wasm: 0 };
  entry[where]++;
  usage[kernel] = entry;
}

/** A copy of the per-kernel ORT/wasm call counts since start (or the last {@link resetKernelUsage}). */
export function kernelUsage(): KernelUsage {
  return Object.fromEntries(Object.entries(usage).map(([k, v]) => [k, { ...v }]));
}

/**
 * The calls made since `before` (a {@link kernelUsage} snapshot), kernels without calls left out;
 * undefined when there were none (e.g. not on the wasm backend).
 */
export function kernelUsageSince(before: KernelUsage): KernelUsage | undefined {
  const delta: KernelUsage = {};
  for (const [kernel, now] of Object.entries(usage)) {
    const ort = now.ort - (before[kernel]?.ort ?? 0);
    const wasm = now.wasm - (before[kernel]?.wasm ?? 0);
    if (ort + wasm > 0) delta[kernel] = { ort, wasm };
  }
  return Object.keys(delta).length > 0 ? delta : undefined;
}

/** Zeroes the call counts. */
export function resetKernelUsage(): void {
  for (const key of Object.keys(usage)) delete usage[key];
}

/** Counters of the ORT kernel session cache (undefined when ORT is unavailable). */
export function ortSessionStats(): SessionCacheStats | undefined {
  return runtime ? runtime.cache.stats() : undefined;
}

/** Releases every cached ORT kernel session. */
export function releaseOrtSessions(): void {
  runtime?.cache.clear();
}

/**
 * A graph input bound to a wasm tensor (`shape` overrides the tensor's shape: same size, or with
 * `offset` a window of the tensor's data starting `offset` elements in).
 */
export interface BoundInput {
  readonly name: string;
  readonly info: tf.TensorInfo;
  readonly shape?: readonly number[];
  readonly offset?: number;
}

/**
 * Runs the cached session `key` (graph built by `graph()` on first use) with inputs read straight
 * from the wasm heap and its single output `Y` written into a new wasm tensor of `outShape` (which
 * the graph declares as `graphOutShape` when that differs: same size).
 */
export function runOnHeap(
  rt: { ort: OrtRuntime; cache: SessionCache },
  backend: WasmBackendLike,
  key: string,
  graph: () => GraphSpec,
  inputs: readonly BoundInput[],
  outShape: number[],
  graphOutShape: readonly number[] = outShape,
): tf.TensorInfo {
  const session = rt.cache.get(key, graph);
  // Allocate first: growing the heap detaches earlier views.
  const out = backend.makeOutput(outShape, 'float32');
  const feeds: Record<string, ReturnType<OrtRuntime['tensor']>> = {};
  for (const input of inputs) {
    const data = heapF32(backend, input.info);
    const shape = input.shape ?? input.info.shape;
    const start = input.offset ?? 0;
    feeds[input.name] = rt.ort.tensor(input.offset === undefined ? data : data.subarray(start, start + sizeOf(shape)), shape);
  }
  try {
    session.run(feeds, { Y: rt.ort.tensor(heapF32(backend, out), graphOutShape) }, {});
  } catch (error) {
    backend.disposeData(out.dataId);
    throw error;
  }
  return out;
}

/** True when every tensor is float32 and non-empty. */
export function allFloat(...infos: (tf.TensorInfo | undefined)[]): boolean {
  return infos.every((i) => i === undefined || (i.dtype === 'float32' && sizeOf(i.shape) > 0));
}
