import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { openData } from '@shrinkray/datasets';
import { distill, trainAlone } from '@shrinkray/distill';
import { createEnsemble, saveFusedEnsemble, serveEnsemble } from '@shrinkray/ensemble';
import { MODEL_FILES, OnnxModel, openModel, saveModelFiles } from '@shrinkray/onnx-io';
import { prune, sensitivity } from '@shrinkray/prune';
import { quantize } from '@shrinkray/quantize';
import { evaluate, initBackend, type Model, stratifiedSplit, type Tensor, TfjsModel, type TrainHistory, type tfl, train, writeFileAtomic } from '@shrinkray/tensor-core';
import { onnxBytes, onnxFacts, scoreModel } from './measure.js';
import { buildTeacher } from './models.js';
import { renderReport } from './report.js';
import { explainEnsemble } from './ensemble-notes.js';
import type { Curve, DemoResults, EnsembleRow, ModelRow } from './results.js';

export interface DemoOptions {
  data: string;
  out: string;
  seed: number;
  /** Fewer epochs and examples: for tests and a first look. */
  quick?: boolean;
  log: (line: string) => void;
}

/** Epochs and sizes of one demo run. */
interface Budget {
  teacherEpochs: number;
  studentEpochs: number;
  finetuneEpochs: number;
  trainLimit: number;
  benchIterations: number;
  student: string;
  /** Share of the training rows whose labels the students see. */
  labelledFraction: number;
}

const fullBudget: Budget = { teacherEpochs: 5, studentEpochs: 8, finetuneEpochs: 2, trainLimit: Number.POSITIVE_INFINITY, benchIterations: 20, student: 'mlp:32', labelledFraction: 0.15 };
const quickBudget: Budget = { teacherEpochs: 1, studentEpochs: 2, finetuneEpochs: 1, trainLimit: 2000, benchIterations: 3, student: 'mlp:16', labelledFraction: 0.3 };

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : `${(v * 100).toFixed(2)}%`);

function curveOf(name: string, history: TrainHistory): Curve {
  return { name, points: history.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, valAccuracy: e.valAccuracy ?? null })) };
}

/** The whole demo. Each step logs one line; results go to `out/results.json` and `out/report.html`. */
export async function runDemo(options: DemoOptions): Promise<DemoResults> {
  const { log, seed, out } = options;
  const budget = options.quick ? quickBudget : fullBudget;
  const started = performance.now();
  const { backend } = await initBackend();
  const { train: trainSplit, test } = await openData(options.data, { seed });
  const split = stratifiedSplit(trainSplit, 0.1, seed);
  const fit = Number.isFinite(budget.trainLimit) ? stratifiedSplit(split.first, budget.trainLimit / split.first.size, seed).second : split.first;
  const validation = split.second;
  log(`data ${options.data}: ${fit.size} train, ${validation.size} validation, ${test.size} test; tfjs backend ${backend}`);

  const results: DemoResults = { data: options.data, backend, seed, createdAt: new Date().toISOString(), seconds: 0, models: [], curves: [], sparsity: [], notes: [] };
  const [h, w, c] = fit.exampleShape as [number, number, number];

  /** Scores a tfjs model on the test split, writes it as `out/DIR/{model.json, weights.bin, model.onnx}` and measures the ONNX file. */
  const record = async (name: string, kind: ModelRow['kind'], model: tfl.LayersModel, dir: string): Promise<ModelRow> => {
    const bytes = await onnxBytes(model);
    const { files } = await saveModelFiles(model, path.join(out, dir), { onnx: bytes });
    const row: ModelRow = { name, kind, ...(await scoreModel(new TfjsModel(model, name), test)), params: model.countParams(), ...(await onnxFacts(bytes, name, budget.benchIterations)), files };
    results.models.push(row);
    return row;
  };

  // 1. Teacher.
  const teacherModel = buildTeacher(seed, [h, w, c], fit.numClasses);
  const teacherRun = await train({ model: teacherModel, data: fit, validation, epochs: budget.teacherEpochs, batchSize: 64, seed, optimizer: { name: 'adam', learningRate: 2e-3 } });
  results.curves.push(curveOf('teacher (CNN)', teacherRun.history));
  const teacherRow = await record('teacher (CNN)', 'teacher', teacherModel, 'teacher');
  log(`teacher CNN: test accuracy ${pct(teacherRow.accuracy)}, ${teacherRow.params.toLocaleString('en-US')} params (${Math.round(teacherRun.history.samplesPerSecond)} samples/s training on ${teacherRun.history.backend})`);

  // 2. The common case for distillation: few labels, many unlabelled inputs. The student alone learns
  // from the labelled rows; the distilled student from the same labels plus the teacher's soft targets
  // on the other training images (a transfer set, served by ONNX Runtime from the teacher's file).
  // Both take the same number of optimizer steps.
  // The labelled examples are the ones distill keeps with `labelled` (the same seeded stratified split).
  const labelledCount = Math.round(budget.labelledFraction * fit.size);
  const labelled = stratifiedSplit(fit, labelledCount / fit.size, seed).second;
  const unlabelledCount = fit.size - labelled.size;
  const aloneEpochs = Math.round((budget.studentEpochs * fit.size) / labelled.size);
  const alone = await trainAlone({ student: budget.student, data: labelled, validation, epochs: aloneEpochs, seed, inputShape: [h, w, c] });
  const aloneName = `student alone (${budget.student}, ${labelled.size} labels)`;
  results.curves.push(curveOf(aloneName, { ...alone.history, epochs: alone.history.epochs.map((e) => ({ ...e, epoch: (e.epoch * budget.studentEpochs) / aloneEpochs })) }));
  const aloneRow = await record(aloneName, 'student', alone.student, 'student-alone');
  results.notes.push(`The student alone trains ${aloneEpochs} epochs on ${labelled.size} labelled rows, the distilled student ${budget.studentEpochs} epochs on all ${fit.size} rows: the same number of optimizer steps. Its curve is drawn against the distilled student's epochs.`);
  const teacherOnnx = await openModel(path.join(out, 'teacher', MODEL_FILES.onnx), { name: 'teacher/model.onnx' });
  const distilled = await distill({ teacher: teacherOnnx, student: budget.student, data: { train: fit, validation, test }, labelled: labelledCount, loss: 'hinton', temperature: 4, alpha: 0.7, epochs: budget.studentEpochs, seed, inputShape: [h, w, c] });
  const distilledName = `student distilled (${budget.student}, ${labelled.size} labels + ${unlabelledCount} unlabelled)`;
  results.curves.push(curveOf(distilledName, distilled.report.history));
  const distilledRow = await record(distilledName, 'student', distilled.model, 'student-distilled');
  log(`student ${budget.student} with ${labelled.size} labels: alone ${pct(aloneRow.accuracy)}, distilled with ${unlabelledCount} unlabelled images ${pct(distilledRow.accuracy)} (agreement with teacher ${pct(distilled.report.agreement)}), ${distilledRow.params.toLocaleString('en-US')} params vs the teacher's ${teacherRow.params.toLocaleString('en-US')}`);

  // 3. Pruning the teacher: unstructured 90% (polynomial schedule) and structured 50% of units/filters.
  const pruneData = { train: fit, test };
  const sparse = await prune({ model: teacherModel, data: pruneData, sparsity: 0.9, schedule: 'polynomial', finetune: { epochs: budget.finetuneEpochs, batchSize: 64 }, seed });
  const sparseRow = await record('teacher pruned 90% (unstructured)', 'pruned', sparse.model, 'teacher-sparse90');
  const slim = await prune({ model: teacherModel, data: pruneData, sparsity: 0.5, structured: true, criterion: 'l2', finetune: { epochs: budget.finetuneEpochs, batchSize: 64 }, seed });
  const slimRow = await record('teacher pruned 50% (structured)', 'pruned', slim.model, 'teacher-slim50');
  log(`pruned teacher: 90% sparse ${pct(sparseRow.accuracy)} (gzip ONNX ${Math.round((sparseRow.gzipBytes ?? 0) / 1024)} KiB vs ${Math.round((teacherRow.gzipBytes ?? 0) / 1024)} KiB); 50% structured ${pct(slimRow.accuracy)}, ${slimRow.params.toLocaleString('en-US')} params, ORT ${Math.round(slimRow.samplesPerSecond ?? 0)} vs ${Math.round(teacherRow.samplesPerSecond ?? 0)} samples/s`);
  // 3b. The structured-pruned teacher quantized to int8 (static QDQ, calibrated on 512 training images).
  const slimFile = path.join(out, 'teacher-slim50', MODEL_FILES.onnx);
  const int8File = path.join(out, 'teacher-slim50-int8', MODEL_FILES.onnx);
  const quantized = await quantize({
    model: slimFile,
    data: { train: fit, test },
    mode: 'static',
    throughput: false,
    seed,
  });
  await writeFileAtomic(int8File, quantized.bytes);
  const int8Model = await OnnxModel.create(quantized.bytes, { name: 'teacher-slim50.int8' });
  const int8Scores = await scoreModel(int8Model, test);
  await int8Model.dispose();
  const int8Row: ModelRow = { name: 'teacher pruned 50% + int8 (static QDQ)', kind: 'quantized', ...int8Scores, params: slimRow.params, ...(await onnxFacts(quantized.bytes, 'teacher-slim50.int8', budget.benchIterations)), files: [int8File] };
  results.models.push(int8Row);
  log(`pruned 50% + int8: ${pct(int8Row.accuracy)} (vs ${pct(slimRow.accuracy)} float), ONNX ${Math.round((int8Row.bytes ?? 0) / 1024)} KiB vs ${Math.round((slimRow.bytes ?? 0) / 1024)} KiB, ORT ${Math.round(int8Row.samplesPerSecond ?? 0)} vs ${Math.round(slimRow.samplesPerSecond ?? 0)} samples/s`);
  if ((int8Row.samplesPerSecond ?? 0) < (slimRow.samplesPerSecond ?? 0)) {
    results.notes.push(
      `int8 made the pruned teacher smaller (${Math.round((int8Row.bytes ?? 0) / 1024)} vs ${Math.round((slimRow.bytes ?? 0) / 1024)} KiB) but not faster here (${Math.round(int8Row.samplesPerSecond ?? 0)} vs ${Math.round(slimRow.samplesPerSecond ?? 0)} samples/s at batch 256): at ${slimRow.params.toLocaleString('en-US')} parameters ORT's int8 path does not pay off (\`pnpm bench quantize\` shows where it does: the larger ResNet-style model). For speed on a model this small, prune; quantize for size.`,
    );
  }
  const curve = await sensitivity({ model: teacherModel, data: validation, sparsities: [0.5, 0.7, 0.8, 0.9, 0.95], seed });
  for (const layer of curve.layers) results.sparsity.push({ name: `one-shot l1, layer ${layer.layer} (validation)`, points: [{ sparsity: 0, accuracy: curve.baseline }, ...layer.points.map((p) => ({ sparsity: p.sparsity, accuracy: p.accuracy }))] });
  results.sparsity.push({ name: 'whole model, fine-tuned (test)', points: [{ sparsity: 0, accuracy: teacherRow.accuracy }, { sparsity: sparse.report.sparsity, accuracy: sparseRow.accuracy }] });

  // 4. A fair ensemble: members of comparable strength that make different errors. Three more CNNs with
  // the teacher's recipe and budget but other seeds (another initialisation and batch order) join the
  // teacher. Aggregators that fit (optimized weights, stacking) fit on the validation split only.
  // (With two more, on MNIST at seed 0, the mean only tied the teacher: at 98% accuracy the members'
  // errors mostly coincide, and averaging needs more members to turn their few disagreements around.)
  const cnns: Model[] = [new TfjsModel(teacherModel, 'teacher (CNN, seed ' + seed + ')')];
  for (const k of [1, 2, 3]) {
    const model = buildTeacher(seed + k, [h, w, c], fit.numClasses);
    await train({ model, data: fit, validation, epochs: budget.teacherEpochs, batchSize: 64, seed: seed + k, optimizer: { name: 'adam', learningRate: 2e-3 } });
    const row = await record(`CNN, seed ${seed + k} (ensemble member)`, 'member', model, `member-seed${seed + k}`);
    cnns.push(new TfjsModel(model, row.name));
  }
  const ensembleRows: EnsembleRow[] = [];
  const testX = (await test.read(Int32Array.from({ length: test.size }, (_, i) => i))) as Tensor<'float32'>;
  let memberAccuracies: { name: string; accuracy: number }[] = [];
  for (const aggregator of ['mean', 'optimized', 'stacking']) {
    const ensemble = await createEnsemble(cnns, { aggregator, validation, seed });
    const evaluation = await ensemble.evaluate(test);
    memberAccuracies = evaluation.members.map((m) => ({ name: m.name, accuracy: m.accuracy }));
    ensembleRows.push({ name: aggregator, accuracy: evaluation.ensemble.accuracy, nll: evaluation.ensemble.nll, weights: ensemble.aggregator.weights ? [...ensemble.aggregator.weights] : null });
    // Stacking fits a multinomial logistic regression: one weight per (member, class) feature and class, plus biases.
    const fitted = aggregator === 'stacking' ? { parameters: (cnns.length * fit.numClasses + 1) * fit.numClasses, validationRows: validation.size } : undefined;
    results.notes.push(...explainEnsemble(`${aggregator} of the ${cnns.length} CNNs`, evaluation.members, { ...evaluation.ensemble, samples: test.size }, evaluation.meanDisagreement, fitted));
    if (aggregator === 'optimized') {
      const fusedFile = path.join(out, 'ensemble-optimized', MODEL_FILES.onnx);
      const { bytes } = await saveFusedEnsemble(ensemble, fusedFile);
      const fused = await serveEnsemble(ensemble, { mode: 'fused' });
      const probabilities = await fused.run(testX);
      await fused.dispose();
      const fusedMetrics = evaluate(probabilities, test.labels, { from: 'probabilities' });
      const facts = await onnxFacts(new Uint8Array(await readFile(fusedFile)), 'ensemble (fused)', budget.benchIterations);
      const weights = (ensemble.aggregator.weights ?? []).map((v) => v.toFixed(2)).join(', ');
      results.models.push({ name: `ensemble: optimized weights (${weights}), fused ONNX`, kind: 'ensemble', accuracy: fusedMetrics.accuracy, nll: fusedMetrics.nll, ece: fusedMetrics.ece, params: cnns.reduce((n, m) => n + (m instanceof TfjsModel ? m.layersModel.countParams() : 0), 0), ...facts, files: [fusedFile] });
      log(`ensemble of ${cnns.length} CNNs (best member ${pct(Math.max(...evaluation.members.map((m) => m.accuracy)))}): mean ${pct(ensembleRows[0]?.accuracy)}, optimized ${pct(evaluation.ensemble.accuracy)} (weights ${weights}); fused ONNX ${pct(fusedMetrics.accuracy)} (${Math.round(bytes / 1024)} KiB, ${Math.round(facts.samplesPerSecond ?? 0)} samples/s)`);
    }
  }
  // The contrast: the mean of models of unequal strength that are near-copies of each other (the
  // teacher, its two pruned variants) plus a much weaker student. The report says why it loses.
  const mixed: Model[] = [new TfjsModel(teacherModel, 'teacher'), new TfjsModel(slim.model, 'teacher-slim50'), new TfjsModel(sparse.model, 'teacher-sparse90'), new TfjsModel(distilled.model, 'student-distilled')];
  const mixedEvaluation = await (await createEnsemble(mixed, { aggregator: 'mean', validation, seed })).evaluate(test);
  ensembleRows.push({ name: 'mean of teacher, pruned teachers, student (contrast)', accuracy: mixedEvaluation.ensemble.accuracy, nll: mixedEvaluation.ensemble.nll, weights: null });
  results.notes.push(...explainEnsemble('the mean of the teacher, its pruned variants and the distilled student', mixedEvaluation.members, { ...mixedEvaluation.ensemble, samples: test.size }, mixedEvaluation.meanDisagreement));
  results.ensemble = { members: memberAccuracies, aggregators: ensembleRows };
  await teacherOnnx.dispose();

  results.seconds = (performance.now() - started) / 1000;
  await writeFileAtomic(path.join(out, 'results.json'), JSON.stringify(results, null, 2));
  await writeFileAtomic(path.join(out, 'report.html'), renderReport(results));
  log(`wrote ${path.join(out, 'results.json')} and ${path.join(out, 'report.html')} (${results.seconds.toFixed(0)} s)`);
  return results;
}

