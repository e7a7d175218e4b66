import path from 'node:path';
import { loadData, stratifiedSplit, type Dataset } from '@shrinkray/datasets';
import { evaluate, initBackend, TfjsModel, train, writeFileAtomic, type tfl, type TrainHistory } from '@shrinkray/tensor-core';
import { buildMlp, buildTeacher } from './models.js';
import { renderReport } from './report.js';
import type { Curve, DemoResults, ModelRow } from './results.js';

export interface DemoOptions {
  data: string;
  out: string;
  seed: number;
  /** Fewer epochs and examples: for tests and a first look (about a minute). */
  quick?: boolean;
  log: (line: string) => void;
}

/** Epochs and sizes of one demo run. */
interface Budget {
  teacherEpochs: number;
  studentEpochs: number;
  trainLimit: number;
}

const fullBudget: Budget = { teacherEpochs: 4, studentEpochs: 6, trainLimit: Number.POSITIVE_INFINITY };
const quickBudget: Budget = { teacherEpochs: 1, studentEpochs: 2, trainLimit: 3000 };

function curveOf(name: string, history: TrainHistory): Curve {
  return { name, points: history.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, valAccuracy: e.valAccuracy ?? null })) };
}

async function score(name: string, kind: ModelRow['kind'], model: tfl.LayersModel, test: Dataset): Promise<ModelRow> {
  const metrics = evaluate(await new TfjsModel(model, name).predict(test.x), test.y);
  return { name, kind, accuracy: metrics.accuracy, nll: metrics.nll, ece: metrics.ece, params: model.countParams(), files: [] };
}

const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;

/** The whole demo. Each step logs one line; results go to `out/results.json` and `out/report.html`. */
export async function runDemo(options: DemoOptions): Promise<DemoResults> {
  const { log, seed } = options;
  const budget = options.quick ? quickBudget : fullBudget;
  const started = performance.now();
  const { backend } = await initBackend();
  const { train: trainSplit, test } = await loadData(options.data);
  const split = stratifiedSplit(trainSplit, { fraction: 0.1, seed });
  const fit = Number.isFinite(budget.trainLimit) ? stratifiedSplit(split.train, { fraction: Math.min(0.99, budget.trainLimit / split.train.y.length), seed }).validation : split.train;
  const validation = split.validation;
  log(`data ${options.data}: ${fit.y.length} train, ${validation.y.length} validation, ${test.y.length} test; tfjs backend ${backend}`);

  const results: DemoResults = { data: options.data, backend, seed, createdAt: new Date().toISOString(), seconds: 0, models: [], curves: [], sparsity: [], notes: [] };
  const [h, w, c] = fit.x.shape.slice(1) as [number, number, number];

  const teacherModel = buildTeacher(seed, [h, w, c], fit.numClasses);
  const teacherRun = await train({ model: teacherModel, data: fit, validation, epochs: budget.teacherEpochs, batchSize: 64, seed, optimizer: { name: 'adam', learningRate: 2e-3 } });
  results.curves.push(curveOf('teacher', teacherRun.history));
  const teacherRow = await score('teacher (CNN)', 'teacher', teacherModel, test);
  results.models.push(teacherRow);
  log(`teacher CNN: test accuracy ${pct(teacherRow.accuracy)} (${Math.round(teacherRun.history.samplesPerSecond)} samples/s on ${teacherRun.history.backend})`);

  const aloneModel = buildMlp('student-alone', seed, [h, w, c], [64], fit.numClasses);
  const aloneRun = await train({ model: aloneModel, data: fit, validation, epochs: budget.studentEpochs, batchSize: 64, seed, optimizer: { name: 'adam', learningRate: 1e-3 } });
  results.curves.push(curveOf('student alone (MLP 64)', aloneRun.history));
  const aloneRow = await score('student alone (MLP 64)', 'student', aloneModel, test);
  results.models.push(aloneRow);
  log(`student MLP 64 trained alone: test accuracy ${pct(aloneRow.accuracy)}`);

  results.seconds = (performance.now() - started) / 1000;
  await writeFileAtomic(path.join(options.out, 'results.json'), JSON.stringify(results, null, 2));
  await writeFileAtomic(path.join(options.out, 'report.html'), renderReport(results));
  log(`wrote ${path.join(options.out, 'results.json')} and ${path.join(options.out, 'report.html')} (${results.seconds.toFixed(0)} s)`);
  return results;
}
