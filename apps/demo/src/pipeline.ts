import { loadData, stratifiedSplit } from '@shrinkray/datasets';
import { evaluate, initBackend, TfjsModel, train, type Evaluation, type TrainHistory } from '@shrinkray/tensor-core';
import { buildTeacher } from './models.js';

export interface DemoOptions {
  data: string;
  out: string;
  seed: number;
  log: (line: string) => void;
}

export interface DemoResult {
  backend: string;
  teacher: Evaluation & { history: TrainHistory };
}

/** The whole demo. Each step logs one line; the result is also written to `out/results.json`. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { log, seed } = options;
  const { backend } = await initBackend();
  const { train: trainSplit, test } = await loadData(options.data);
  const { train: fit, validation } = stratifiedSplit(trainSplit, { fraction: 0.1, seed });
  log(`data ${options.data}: ${fit.y.length} train, ${validation.y.length} validation, ${test.y.length} test; tfjs backend ${backend}`);

  const [h, w, c] = fit.x.shape.slice(1) as [number, number, number];
  const teacherModel = buildTeacher(seed, [h, w, c], fit.numClasses);
  const started = performance.now();
  const { history } = await train({ model: teacherModel, data: fit, validation, epochs: 4, batchSize: 64, seed, optimizer: { name: 'adam', learningRate: 2e-3 } });
  const teacher = new TfjsModel(teacherModel, 'teacher');
  const metrics = evaluate(await teacher.predict(test.x), test.y);
  log(`teacher CNN: test accuracy ${(metrics.accuracy * 100).toFixed(2)}% (${((performance.now() - started) / 1000).toFixed(1)} s, ${Math.round(history.samplesPerSecond)} samples/s on ${history.backend})`);
  return { backend, teacher: { ...metrics, history } };
}
