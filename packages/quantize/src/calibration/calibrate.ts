import { type ModelProto, runtimeInputs, shapeOf } from '@shrinkray/onnx-io';
import { adaptInput, type Dataset, type DeclaredShape, Rng, Tensor } from '@shrinkray/tensor-core';
import * as ort from 'onnxruntime-node';
import { CalibrationDataError } from '../errors/calibration-data-error.js';
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
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** The model's one runtime input: name and declared shape (batch first, `null` where free). */
export function modelInput(model: ModelProto, file: string): { name: string; shape: DeclaredShape; fixedBatch: number | undefined } {
  const inputs = runtimeInputs(model.graph);
  const input = inputs[0];
  if (inputs.length !== 1 || !input) {
    throw new CalibrationDataError({ file, node: inputs.map((i) => i.name).join(', ') || '(none)', expected: 'one runtime input', found: `${inputs.length}`, data: '' });
  }
  const declared = shapeOf(input) ?? [];
  const batch = declared[0];
  return {
    name: input.name,
    shape: declared.map((d, i) => (i === 0 || typeof d !== 'number' ? null : d)),
    fixedBatch: typeof batch === 'number' && batch > 0 ? batch : undefined,
  };
}

/**
 * Checks that examples of `data` fit the model's input and that its class count matches the model's
 * output (when the output declares it), before any long work.
 *
 * @throws CalibrationDataError naming the file and the input or output node.
 */
export function checkData(model: ModelProto, file: string, data: Dataset): void {
  const input = modelInput(model, file);
  const probe = Tensor.zeros('float32', [1, ...data.exampleShape]);
  try {
    adaptInput(probe, input.shape, input.name);
  } catch {
    throw new CalibrationDataError({ file, node: input.name, expected: `[${input.shape.map((d) => d ?? 'N').join(',')}]`, found: `examples of shape [${data.exampleShape.join(',')}]`, data: data.name });
  }
  const output = model.graph.output[0];
  const dims = output ? (shapeOf(output) ?? []) : [];
  const classes = dims[dims.length - 1];
  if (output && typeof classes === 'number' && dims.length === 2 && classes !== data.numClasses) {
    throw new CalibrationDataError({ file, node: output.name, expected: `${classes} classes`, found: `${data.numClasses} classes`, data: data.name });
  }
}

/** The calibration examples: `samples` of them, a seeded random choice when the data has more. */
export function calibrationSubset(data: Dataset, samples: number, seed: number): Dataset {
  if (data.size <= samples) return data;
  const order = new Rng(seed).permutation(data.size).slice(0, samples);
  return data.subset(Int32Array.from(order).sort(), `${data.name} (calibration)`);
}

/**
 * Runs the float model in ONNX Runtime on the calibration data with every tensor in `tensors` added
 * as a graph output, and feeds each tensor's values to a collector of `method`. Returns the range each
 * collector chose.
 */
export async function collectRanges(model: ModelProto, tensors: readonly string[], data: Dataset, options: CollectOptions): Promise<Map<string, CalibrationRange>> {
  const { file, method } = options;
  checkData(model, file, data);
  const input = modelInput(model, file);
  const augmented = structuredClone(model);
  const existing = new Set(augmented.graph.output.map((o) => o.name));
  for (const t of tensors) if (!existing.has(t)) augmented.graph.output.push({ name: t, type: { tensorType: { elemType: 1 } } });
  const session = await openSession(augmented, file);
  const collectors = new Map<string, RangeCollector>(tensors.map((t) => [t, method.collector()] as const));
  const fixed = input.fixedBatch;
  const batchSize = fixed ?? options.batchSize ?? 64;
  const subset = calibrationSubset(data, options.samples ?? 512, options.seed ?? 0);
  let done = 0;
  try {
    for await (const batch of subset.batches({ batchSize, signal: options.signal })) {
      const x = adaptInput(batch.x as Tensor<'float32'>, input.shape, input.name);
      if (fixed !== undefined && (x.shape[0] ?? 0) !== fixed) continue;
      const result = await session.run({ [input.name]: new ort.Tensor('float32', x.data as Float32Array, [...x.shape]) }, [...tensors]);
      for (const t of tensors) {
        const value = result[t];
        if (value && value.type === 'float32') collectors.get(t)!.add(value.data as Float32Array);
        value?.dispose();
      }
      done += batch.indices.length;
      options.onProgress?.(done, subset.size);
    }
  } finally {
    await session.release();
  }
  return new Map([...collectors].map(([t, c]) => [t, c.range()] as const));
}
