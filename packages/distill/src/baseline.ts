import { accuracy, ConfigError, Dataset, type OptimizerConfig, TfjsModel, type TrainEvent, type TrainHistory, type tfl, train } from '@shrinkray/tensor-core';
import type { LabelledData } from './distill.js';
import { buildStudent } from './student/spec.js';

/** Options of {@link trainAlone}: the same knobs as `distill`, without a teacher. */
export interface TrainAloneOptions {
  /** A tfjs LayersModel (trained in place) or a spec such as `mlp:512,512`. */
  student: tfl.LayersModel | string;
  /** Needed to build a spec student. */
  numClasses?: number;
  /** Labelled rows (rows labelled `-1` are ignored by the cross-entropy). */
  data: LabelledData;
  validation?: LabelledData;
  test?: LabelledData;
  optimizer?: OptimizerConfig;
  epochs: number;
  batchSize?: number;
  seed?: number;
  inputShape?: readonly number[];
  onEvent?: (event: TrainEvent) => void;
  signal?: AbortSignal;
}

/**
 * The baseline distillation is compared with: the same student, initialised with the same seed and
 * trained with the same optimizer, epochs and batch size on the true labels alone (cross-entropy).
 *
 * @example
 * const alone = await trainAlone({ student: 'mlp:800,800', numClasses: 10, data: train, test, epochs: 10, seed: 1 });
 * console.log(alone.accuracy);
 */
export async function trainAlone(options: TrainAloneOptions): Promise<{ student: tfl.LayersModel; history: TrainHistory; accuracy: number | null }> {
  const seed = options.seed ?? 0;
  let student: tfl.LayersModel;
  if (typeof options.student === 'string') {
    if (options.numClasses === undefined) throw new ConfigError('numClasses', 'is needed to build a student from a spec');
    student = buildStudent(options.student, { inputShape: options.inputShape ?? options.data.x.shape.slice(1), numClasses: options.numClasses, seed });
  } else student = options.student;
  const { history } = await train({
    model: student,
    data: Dataset.fromArrays(options.data.x, options.data.y, { numClasses: student.outputs[0]!.shape[1] as number }),
    optimizer: options.optimizer ?? { name: 'adam', learningRate: 1e-3 },
    epochs: options.epochs,
    batchSize: options.batchSize ?? 128,
    seed,
    ...(options.validation ? { validation: Dataset.fromArrays(options.validation.x, options.validation.y, { numClasses: student.outputs[0]!.shape[1] as number }) } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let acc: number | null = null;
  if (options.test) acc = accuracy(await new TfjsModel(student).predict(options.test.x), options.test.y);
  return { student, history, accuracy: acc };
}
