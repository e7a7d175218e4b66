import { DataError } from '../errors/data-error.js';
import { type Evaluation, type EceOptions, evaluate as scoreLogits } from '../metrics.js';
import { checkInputDType, type Model } from '../model.js';
import type { ExampleDType } from './source.js';
import { Tensor } from '../tensor.js';
import { type Dataset, UNLABELLED } from './dataset.js';

/** Options of `predictBatched` / `predictEach`. */
export interface PredictOptions {
  /** Rows per predict call (bounds memory). Default 1000. */
  batchSize?: number;
  /** Called after every batch with the rows done and the total. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Default rows per predict call. */
export const PREDICT_BATCH_SIZE = 1000;

/**
 * Throws `DataError` ('classes-mismatch') when a model's number of outputs differs from the
 * dataset's number of classes, and `DTypeError` when the data are token ids and the model takes
 * float32 features (when both say what they hold).
 */
export function checkModelFitsData(model: Pick<Model, 'name' | 'numClasses' | 'inputDType'>, data: Pick<Dataset, 'name' | 'numClasses'> & { dtype?: ExampleDType }): void {
  if (data.dtype) checkInputDType(model, data.dtype, `${data.name} examples`);
  if (model.numClasses !== data.numClasses) {
    throw new DataError('classes-mismatch', { source: data.name }, `the data has ${data.numClasses} classes but model ${model.name} outputs ${model.numClasses}`);
  }
}

/**
 * Every model's logits `[N, C]` on every example of `data`, in dataset order. The data is read once,
 * a batch at a time; the models of one batch run concurrently.
 *
 * @example
 * const [a, b] = await predictEach([teacher, student], test, { batchSize: 512 });
 */
export async function predictEach(models: readonly Model[], data: Dataset, options: PredictOptions = {}): Promise<Tensor<'float32'>[]> {
  const batchSize = options.batchSize ?? PREDICT_BATCH_SIZE;
  const parts: Tensor<'float32'>[][] = models.map(() => []);
  let done = 0;
  for await (const batch of data.batches({ batchSize, signal: options.signal })) {
    const outs = await Promise.all(models.map((m) => m.predict(batch.x)));
    for (const [i, o] of outs.entries()) parts[i]!.push(o);
    done += batch.indices.length;
    options.onProgress?.(done, data.size);
  }
  return parts.map((p, i) => {
    const m = models[i]!;
    return p.length > 0 ? Tensor.concatRows(p, `${m.name} logits`) : new Tensor('float32', [0, m.numClasses], new Float32Array(0));
  });
}

/** One model's logits `[N, C]` on every example of `data`, in dataset order (see `predictEach`). */
export async function predictBatched(model: Model, data: Dataset, options: PredictOptions = {}): Promise<Tensor<'float32'>> {
  const [logits] = await predictEach([model], data, options);
  return logits!;
}

/**
 * Accuracy, NLL and ECE of a model on the labelled examples of `data` (unlabelled ones are skipped).
 *
 * @throws DataError when the model's outputs and the data's classes differ in number.
 */
export async function evaluateModel(model: Model, data: Dataset, options: PredictOptions & EceOptions = {}): Promise<Evaluation> {
  const { logits, labels } = await predictLabelled(model, data, options);
  return scoreLogits(logits, labels, options);
}

/**
 * The model's logits on the labelled examples of `data` (unlabelled ones skipped), with their labels,
 * after checking the model's outputs fit the data's classes. What every evaluation scores.
 */
export async function predictLabelled(model: Model, data: Dataset, options: PredictOptions = {}): Promise<{ logits: Tensor<'float32'>; labels: Int32Array }> {
  checkModelFitsData(model, data);
  const labelled = data.labelled ? data : data.subset(labelledIndices(data));
  if (labelled.size === 0) throw new DataError('empty', { source: data.name }, 'no labelled examples to score');
  return { logits: await predictBatched(model, labelled, options), labels: labelled.labels };
}

/** Positions of the examples that have a label. */
export function labelledIndices(data: Pick<Dataset, 'labels'>): Int32Array {
  const out: number[] = [];
  data.labels.forEach((y, i) => {
    if (y !== UNLABELLED) out.push(i);
  });
  return Int32Array.from(out);
}
