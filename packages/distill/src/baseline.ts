import { ConfigError, type Dataset, evaluateModel, type OptimizerConfig, TfjsModel, type TrainEvent, type TrainHistory, type tfl, train } from '@shrinkray/tensor-core';
import { buildStudent } from './student/spec.js';

/** Options of {@link trainAlone}: the same knobs as `distill`, without a teacher. */
export interface TrainAloneOptions {
  /** A tfjs LayersModel (trained in place) or a spec such as `mlp:512,512`. */
  student: tfl.LayersModel | string;
  /** Labelled examples (unlabelled ones are ignored by the cross-entropy). */
  data: Dataset;
  validation?: Dataset;
  test?: Dataset;
  optimizer?: OptimizerConfig;
  epochs: number;
  batchSize?: number;
  seed?: number;
  /** Input shape (without batch) of a spec student; default the data's example shape. */
  inputShape?: readonly number[];
  onEvent?: (event: TrainEvent) => void;
  signal?: AbortSignal;
}

/**
 * The baseline distillation is compared with: the same student, initialised with the same seed and
 * trained with the same optimizer, epochs and batch size on the true labels alone (cross-entropy).
 *
 * @example
 * const alone = await trainAlone({ student: 'mlp:800,800', data: train, test, epochs: 10, seed: 1 });
 * console.log(alone.accuracy);
 */
export async function trainAlone(options: TrainAloneOptions): Promise<{ student: tfl.LayersModel; history: TrainHistory; accuracy: number | null }> {
  const seed = options.seed ?? 0;
  let student: tfl.LayersModel;
  if (typeof options.student === 'string') {
    if (!options.data?.numClasses) throw new ConfigError('data', 'must be a Dataset to build a student from a spec');
    student = buildStudent(options.student, { inputShape: options.inputShape ?? options.data.exampleShape, numClasses: options.data.numClasses, seed });
  } else student = options.student;
  const { history } = await train({
    model: student,
    data: options.data,
    optimizer: options.optimizer ?? { name: 'adam', learningRate: 1e-3 },
    epochs: options.epochs,
    batchSize: options.batchSize ?? 128,
    seed,
    ...(options.validation ? { validation: options.validation } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const accuracy = options.test ? (await evaluateModel(new TfjsModel(student), options.test, options.signal ? { signal: options.signal } : {})).accuracy : null;
  return { student, history, accuracy };
}
