import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadOnnx, type OnnxModel, type OnnxTextModel, textFeeds } from '@shrinkray/onnx-io';
import { ConfigError, Rng, Tensor } from '@shrinkray/tensor-core';
import type * as ort from 'onnxruntime-node';
import { openScoringModel } from './scoring-model.js';
import { openSession } from './session.js';

/** Size of a model file, raw and gzip-compressed. */
export interface ModelBytes {
  bytes: number;
  gzipBytes: number;
}

export function modelBytes(bytes: Uint8Array): ModelBytes {
  return { bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
}

/** Samples per second of a float and a quantized model at one batch size (best of the interleaved rounds). */
export interface ThroughputRow {
  batch: number;
  before: number;
  after: number;
  /** after / before. */
  speedup: number;
}

/** Options of `compareThroughput`. */
export interface ThroughputOptions {
  batchSizes?: readonly number[];
  /** Interleaved rounds; the best round of each model counts (least disturbed by other processes). Default 5. */
  rounds?: number;
  /** Minimum time per model, batch and round, in ms. Default 200. */
  minMs?: number;
  /**
   * `wall` (default): samples per second of elapsed time. `cpu`: per second of this process's CPU time,
   * which leaves out the time other processes hold the CPU (with one intra-op thread ORT computes on the
   * calling thread): steadier ratios on a loaded machine.
   */
  clock?: 'wall' | 'cpu';
  /**
   * Text classifiers: token ids `[N, L]` whose rows (repeated as needed) make the batches, fed with the
   * attention mask of `padId` (random values would not be token ids). Float models get random inputs.
   */
  examples?: Tensor;
  padId?: number;
  signal?: AbortSignal;
}

/** Milliseconds since an origin, on the wall clock or as this process's CPU time (user + system). */
function clockMs(clock: 'wall' | 'cpu'): number {
  if (clock === 'wall') return Number(process.hrtime.bigint()) / 1e6;
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function samplesPerSecond(model: OnnxModel | OnnxTextModel, feeds: Record<string, ort.Tensor>, batch: number, minMs: number, clock: 'wall' | 'cpu'): Promise<number> {
  await model.session.run(feeds);
  let runs = 0;
  const start = clockMs(clock);
  let elapsed = 0;
  while (elapsed < minMs || runs < 3) {
    await model.session.run(feeds);
    runs++;
    elapsed = clockMs(clock) - start;
  }
  return (runs * batch) / (elapsed / 1000);
}

/**
 * ONNX Runtime throughput (one intra-op thread, the native session called directly) of several models
 * side by side: rounds alternate between them so load changes on a shared machine hit all alike, and
 * the best round of each model counts. Returns samples/s per model name and batch size.
 */
export async function measureThroughput(
  models: readonly { name: string; bytes: Uint8Array }[],
  options: ThroughputOptions = {},
): Promise<Map<string, Map<number, number>>> {
  const sessions: (OnnxModel | OnnxTextModel)[] = [];
  const best = new Map<string, Map<number, number>>(models.map((m) => [m.name, new Map()] as const));
  try {
    for (const m of models) sessions.push(await openScoringModel(m.bytes, { name: m.name, lowLatency: true, ...(options.padId !== undefined ? { padId: options.padId } : {}) }));
    const rng = new Rng(0);
    for (const batch of options.batchSizes ?? [1, 64]) {
      const inputs = sessions.map((s): Record<string, ort.Tensor> => {
        if ('inputs' in s) {
          const ids = options.examples;
          if (ids?.rank !== 2 || ids.shape[0] === 0) throw new ConfigError('examples', `${s.name}: timing a text classifier needs token ids [N, L]`);
          const [n, length] = ids.shape as [number, number];
          const rows = Int32Array.from({ length: batch * length }, (_, i) => Number(ids.data[((Math.floor(i / length) % n) * length + (i % length))]));
          return textFeeds(s.inputs, rows, batch, length, s.padId);
        }
        const x = Tensor.zeros('float32', [batch, ...s.inputShape.slice(1).map((d) => (typeof d === 'number' ? d : 1))]);
        for (let i = 0; i < x.size; i++) x.data[i] = rng.next();
        return { [s.inputName]: x.toOrt() };
      });
      for (let r = 0; r < (options.rounds ?? 5); r++) {
        for (const [k, s] of sessions.entries()) {
          options.signal?.throwIfAborted();
          const sps = await samplesPerSecond(s, inputs[k]!, batch, options.minMs ?? 200, options.clock ?? 'wall');
          const byBatch = best.get(s.name)!;
          byBatch.set(batch, Math.max(byBatch.get(batch) ?? 0, sps));
        }
      }
    }
    return best;
  } finally {
    for (const s of sessions) await s.dispose();
  }
}

/** `measureThroughput` of a float and a quantized model, as rows with the speed-up. */
export async function compareThroughput(before: Uint8Array, after: Uint8Array, options: ThroughputOptions = {}): Promise<ThroughputRow[]> {
  const m = await measureThroughput(
    [
      { name: 'before', bytes: before },
      { name: 'after', bytes: after },
    ],
    options,
  );
  return (options.batchSizes ?? [1, 64]).map((batch) => {
    const b = m.get('before')!.get(batch)!;
    const a = m.get('after')!.get(batch)!;
    return { batch, before: b, after: a, speedup: a / b };
  });
}

/** The graph ONNX Runtime runs after its optimisations: op counts, and which of them are int8 kernels. */
export interface FusedGraph {
  /** Op type -> count in ORT's optimised graph (domain-prefixed outside the default domain). */
  ops: Record<string, number>;
  /** Nodes of the optimised graph that run int8 kernels (QLinearConv, QGemm, DynamicQuantizeMatMul, ...), by the name of the node they replace. */
  int8Nodes: { node: string; opType: string }[];
  /** QuantizeLinear/DequantizeLinear nodes left as separate kernels (the model input's QuantizeLinear is expected). */
  qdqLeft: number;
}

const int8Op = /^(QLinear|QGemm|MatMulInteger|ConvInteger|DynamicQuantize|MatMulIntegerToFloat|QAttention|QEmbed|QOrdered)/;

/** Reads ORT's optimised graph (session option `optimizedModelFilePath`, level `all`). */
export async function fusedGraph(bytes: Uint8Array, file: string): Promise<FusedGraph> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shrinkray-quantize-'));
  try {
    const optimized = path.join(dir, 'optimized.onnx');
    const session = await openSession(bytes, file, { optimizedModelFilePath: optimized, graphOptimizationLevel: 'all' });
    await session.release();
    const model = await loadOnnx(optimized);
    const ops: Record<string, number> = {};
    const int8Nodes: { node: string; opType: string }[] = [];
    let qdqLeft = 0;
    for (const n of model.graph.node) {
      const key = n.domain && n.domain !== '' && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
      ops[key] = (ops[key] ?? 0) + 1;
      if (int8Op.test(n.opType)) int8Nodes.push({ node: (n.name ?? '').replace(/_token_\d+$/, ''), opType: n.opType });
      if (n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear') qdqLeft++;
    }
    return { ops, int8Nodes, qdqLeft };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
