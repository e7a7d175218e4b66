import { Rng, Tensor } from '@shrinkray/tensor-core';
import type { OnnxModel } from './onnx-model.js';

/** Options for `benchmark`. */
export interface BenchOptions {
  /** Batch sizes to time (default [1, 256]). */
  batchSizes?: readonly number[];
  /** Untimed runs before timing (default 3). */
  warmup?: number;
  /** Timed runs per batch size (default 30). */
  iterations?: number;
  /** Seed of the random input (default 0). */
  seed?: number;
  /** Called after each timed run. */
  onProgress?: (event: { model: string; batch: number; iteration: number; iterations: number }) => void;
}

/** One model at one batch size. Keys match the CLI's `bench --json` contract. */
export interface BenchResult {
  model: string;
  batch: number;
  samplesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  iterations: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/**
 * Times `model.run` on random input in the model's own layout at each batch size: latency
 * percentiles per batch and throughput (samples per second over the timed runs).
 *
 * @example
 * const results = await benchmark(model, { batchSizes: [1, 256] });
 */
export async function benchmark(model: OnnxModel, options: BenchOptions = {}): Promise<BenchResult[]> {
  const rng = new Rng(options.seed ?? 0);
  const results: BenchResult[] = [];
  const iterations = Math.max(1, options.iterations ?? 30);
  for (const batch of options.batchSizes ?? [1, 256]) {
    const shape = [batch, ...model.inputShape.slice(1).map((d) => (typeof d === 'number' ? d : 1))];
    const x = Tensor.zeros('float32', shape);
    for (let i = 0; i < x.size; i++) x.data[i] = rng.next();
    for (let i = 0; i < (options.warmup ?? 3); i++) await model.run(x);
    const times: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const start = process.hrtime.bigint();
      await model.run(x);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      options.onProgress?.({ model: model.name, batch, iteration: i + 1, iterations });
    }
    const total = times.reduce((a, b) => a + b, 0);
    const sorted = [...times].sort((a, b) => a - b);
    results.push({
      model: model.name,
      batch,
      samplesPerSecond: total > 0 ? (batch * iterations) / (total / 1000) : 0,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      meanMs: total / iterations,
      iterations,
    });
  }
  return results;
}
