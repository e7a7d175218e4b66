import { ConfigError } from '../errors/config-error.js';
import { type EceOptions, type Evaluation, evaluate as scoreEvaluation } from '../metrics.js';
import type { Model } from '../model.js';
import { Tensor } from '../tensor.js';
import type { Dataset } from './dataset.js';
import { checkModelFitsData, labelledIndices, predictBatched } from './predict.js';

/** Options of the `evaluate` driver. */
export interface EvaluateOptions {
  model: Model;
  /** The labelled examples to score (unlabelled ones are skipped), e.g. `(await openData(spec)).test`. */
  data: Dataset;
  /** Rows per predict call. Default 1000. */
  batchSize?: number;
  /** ECE bins; default 15. */
  bins?: number;
  onEvent?: (event: EvaluateEvent) => void;
  signal?: AbortSignal;
}

/** What the `evaluate` driver reports. */
export interface EvaluateReport extends Evaluation {
  /** The model's name and the data's. */
  model: string;
  data: string;
  classNames: readonly string[];
  /** Top-1 accuracy of each class (`null` for a class without examples), in class order. */
  perClassAccuracy: (number | null)[];
}

/** Progress of the `evaluate` driver, as a tagged union. */
export type EvaluateEvent = { type: 'predict'; done: number; total: number } | { type: 'done'; report: EvaluateReport };

/** What the `evaluate` driver returns: the model it was given and the report. */
export interface EvaluateResult {
  model: Model;
  report: EvaluateReport;
}

function perClass(logits: Tensor<'float32'>, labels: Int32Array, classes: number): (number | null)[] {
  const right = new Array<number>(classes).fill(0);
  const seen = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const row = logits.data.subarray(i * classes, (i + 1) * classes);
    let best = 0;
    for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c;
    seen[labels[i]!]!++;
    if (best === labels[i]) right[labels[i]!]!++;
  }
  return seen.map((n, c) => (n === 0 ? null : right[c]! / n));
}

async function evaluateDriver(options: EvaluateOptions): Promise<EvaluateResult> {
  const { model, data } = options;
  if (!model || typeof model.predict !== 'function') throw new ConfigError('model', 'must be a Model (TfjsModel, OnnxModel, or anything with predict)');
  if (!data || typeof data.batches !== 'function') throw new ConfigError('data', 'must be a Dataset (openData(...).test or Dataset.fromArrays(x, y))');
  checkModelFitsData(model, data);
  const scored = data.labelled ? data : data.subset(labelledIndices(data));
  if (scored.size === 0) throw new ConfigError('data', `${data.name} has no labelled examples to score`);
  const logits = await predictBatched(model, scored, {
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    onProgress: (done, total) => options.onEvent?.({ type: 'predict', done, total }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const metrics = scoreEvaluation(logits, scored.labels, options.bins === undefined ? {} : { bins: options.bins });
  const report: EvaluateReport = { model: model.name, data: data.name, ...metrics, classNames: data.classNames, perClassAccuracy: perClass(logits, scored.labels, data.numClasses) };
  options.onEvent?.({ type: 'done', report });
  return { model, report };
}

/**
 * Two forms:
 * - `evaluate(scores, labels, options?)`: accuracy, NLL and ECE of `[N, C]` logits (or probabilities
 *   with `from: 'probabilities'`) against labels, in one call.
 * - `evaluate({ model, data, onEvent, signal })`: the evaluation driver. Checks the model fits the
 *   data, predicts every labelled example a batch at a time, and returns `{ model, report }` with
 *   accuracy, NLL, ECE and per-class accuracy.
 *
 * @example
 * const { accuracy, nll, ece } = evaluate(await model.predict(x), labels);
 * const { report } = await evaluate({ model, data: (await openData('mnist')).test });
 */
export function evaluate(scores: Tensor<'float32'>, labels: Int32Array, options?: EceOptions): Evaluation;
export function evaluate(options: EvaluateOptions): Promise<EvaluateResult>;
export function evaluate(first: Tensor<'float32'> | EvaluateOptions, labels?: Int32Array, options: EceOptions = {}): Evaluation | Promise<EvaluateResult> {
  if (first instanceof Tensor) return scoreEvaluation(first, labels!, options);
  return evaluateDriver(first);
}
