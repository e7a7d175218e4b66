import type { ModelProto } from '@shrinkray/onnx-io';
import { type Dataset, Rng, type Tensor } from '@shrinkray/tensor-core';
import { modelFeeder } from '../feeds.js';
import { openSession } from '../session.js';
import type { CalibrationMethod, CalibrationRange, RangeCollector } from './methods.js';

/** Options of `collectRanges`. */
export interface CollectOptions {
  /** Model file name for messages. */
  file: string;
  method: CalibrationMethod;
  /** Examples read (a seeded random subset when the data has more). Default 512. */
  samples?: number;
  /** Rows per ORT run. Default 64. */
  batchSize?: number;
  /** Text classifiers: the pad token id that makes `attention_mask` (default 0). */
  padId?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Checks that examples of `data` fit the model's input (float examples, or int32/int64 token ids for a
 * text classifier) and that its class count matches the model's output (when the output declares it),
 * before any long work.
 *
 * @throws CalibrationDataError naming the file and the input or output node.
 */
export function checkData(model: ModelProto, file: string, data: Dataset, padId = 0): void {
  modelFeeder(model, file, padId).check(data);
}

/** The calibration examples: `samples` of them, a seeded random choice when the data has more. */
export function calibrationSubset(data: Dataset, samples: number, seed: number): Dataset {
  if (data.size <= samples) return data;
  const order = new Rng(seed).permutation(data.size).slice(0, samples);
  return data.subset(Int32Array.from(order).sort(), `${data.name} (calibration)`);
}

/**
 * Runs the float model in ONNX Runtime on the calibration data with every tensor in `tensors` added
 * as a graph output, and feeds each float tensor's values to a collector of `method`. Returns the
 * range each collector chose; tensors whose values are not float32 (integer shape arithmetic of
 * transformer graphs, say) get no range.
 */
export async function collectRanges(model: ModelProto, tensors: readonly string[], data: Dataset, options: CollectOptions): Promise<Map<string, CalibrationRange>> {
  const { file, method } = options;
  const feeder = modelFeeder(model, file, options.padId ?? 0);
  feeder.check(data);
  if (tensors.length === 0) return new Map();
  const augmented = structuredClone(model);
  const existing = new Set(augmented.graph.output.map((o) => o.name));
  // No declared type: ORT infers it (a float declaration on an integer tensor would fail to load).
  for (const t of tensors) if (!existing.has(t)) augmented.graph.output.push({ name: t });
  const session = await openSession(augmented, file);
  const collectors = new Map<string, RangeCollector>(tensors.map((t) => [t, method.collector()] as const));
  const seen = new Set<string>();
  const fixed = feeder.fixedBatch;
  const batchSize = fixed ?? options.batchSize ?? 64;
  const subset = calibrationSubset(data, options.samples ?? 512, options.seed ?? 0);
  let done = 0;
  try {
    for await (const batch of subset.batches({ batchSize, signal: options.signal })) {
      if (fixed !== undefined && (batch.x.shape[0] ?? 0) !== fixed) continue;
      const result = await session.run(feeder.feeds(batch.x as Tensor), [...tensors]);
      for (const t of tensors) {
        const value = result[t];
        if (value && value.type === 'float32') {
          collectors.get(t)!.add(value.data as Float32Array);
          seen.add(t);
        }
        value?.dispose();
      }
      done += batch.indices.length;
      options.onProgress?.(done, subset.size);
    }
  } finally {
    await session.release();
  }
  return new Map([...collectors].filter(([t]) => seen.has(t)).map(([t, c]) => [t, c.range()] as const));
}
