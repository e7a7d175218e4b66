import { ConfigError } from '../errors/config-error.js';
import { confusionMatrix, type EceOptions, type Evaluation, evaluate as scoreEvaluation } from '../metrics.js';
import type { Model } from '../model.js';
import { Tensor } from '../tensor.js';
import { checkDatasetOption, type Dataset } from './dataset.js';
import { predictLabelled } from './predict.js';

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

/** Top-1 accuracy of each class from the confusion matrix (`null` for a class without examples). */
function perClass(logits: Tensor<'float32'>, labels: Int32Array): (number | null)[] {
  const m = confusionMatrix(logits, labels);
  const c = m.shape[0]!;
  return Array.from({ length: c }, (_, t) => {
    let seen = 0;
    for (let p = 0; p < c; p++) seen += m.data[t * c + p]!;
    return seen === 0 ? null : m.data[t * c + t]! / seen;
  });
}

async function evaluateDriver(options: EvaluateOptions): Promise<EvaluateResult> {
  const { model, data } = options;
  if (!model || typeof model.predict !== 'function') throw new ConfigError('model', 'must be a Model (TfjsModel, OnnxModel, or anything with predict)');
  checkDatasetOption(data, 'data');
  const { logits, labels } = await predictLabelled(model, data, {
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    onProgress: (done, total) => options.onEvent?.({ type: 'predict', done, total }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const metrics = scoreEvaluation(logits, labels, options.bins === undefined ? {} : { bins: options.bins });
  const report: EvaluateReport = { model: model.name, data: data.name, ...metrics, classNames: data.classNames, perClassAccuracy: perClass(logits, labels) };
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
