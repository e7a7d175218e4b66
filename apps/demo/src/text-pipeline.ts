import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openData, type TextDatasetSplits, TextTokenizer } from '@shrinkray/datasets';
import { buildTextStudent, distill, openTextTeacher, textTeacherLogits, trainAlone } from '@shrinkray/distill';
import { encodeOnnx, exportTfjs, OnnxTextModel } from '@shrinkray/onnx-io';
import { evaluate, initBackend, Rng, saveTfjsModel, Tensor, type tfl, type TrainHistory, UNLABELLED, writeFileAtomic } from '@shrinkray/tensor-core';
import { renderReport } from './report.js';
import type { Curve, DemoResults, ModelRow } from './results.js';

/** The committed Debian package-description fixtures (corpus, teacher folder, student tokenizer). */
export const DEFAULT_TEXT_CORPUS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/datasets/fixtures/text');

/** Options of {@link runTextDemo}. */
export interface TextDemoOptions {
  /** A corpus folder as made by make-text-fixtures.py (train/test.jsonl, teacher/, student-tokenizer/). */
  corpus: string;
  out: string;
  seed: number;
  quick?: boolean;
  log: (line: string) => void;
}

const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;

/** Rows per second of an ONNX text model at batch 256 (ids of its own tokenizer). */
async function throughput(model: OnnxTextModel, ids: Tensor<'int32'>, iterations: number): Promise<number> {
  const batch = ids.sliceRows(0, Math.min(256, ids.shape[0]!));
  await model.run(batch);
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await model.run(batch);
  return (batch.shape[0]! * iterations) / ((performance.now() - t0) / 1000);
}

function curveOf(name: string, history: TrainHistory): Curve {
  return { name, points: history.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, valAccuracy: e.valAccuracy ?? null })) };
}

/**
 * The text pipeline: a transformer teacher (a transformers.js folder run by ONNX Runtime on its own
 * tokenizer) distilled into a `text-bag` student on its own tokenizer, with few labels and the other
 * training texts as an unlabelled transfer set; the student alone on the same labels for comparison.
 * Both students are written as tfjs + ONNX and scored by ONNX Runtime; `results.json` and
 * `report.html` go to `out`.
 */
export async function runTextDemo(options: TextDemoOptions): Promise<DemoResults> {
  const { log, seed, out, corpus } = options;
  const started = performance.now();
  const { backend } = await initBackend();
  const epochs = options.quick ? 3 : 20;
  const transferEpochs = options.quick ? 2 : 4;
  const tokenizer = await TextTokenizer.load(path.join(corpus, 'student-tokenizer'));
  const teacher = await openTextTeacher(`hf:${path.join(corpus, 'teacher')}`);
  const results: DemoResults = { data: `text:${corpus}`, backend, seed, createdAt: new Date().toISOString(), seconds: 0, models: [], curves: [], sparsity: [], notes: [] };
  try {
    const data = (await openData(`jsonl:${path.join(corpus, 'train.jsonl')},${path.join(corpus, 'test.jsonl')}`, { tokenizer, classes: teacher.classNames })) as TextDatasetSplits;
    const classNames = data.train.classNames;
    log(`data ${corpus}: ${data.train.size} train / ${data.test.size} test texts, ${classNames.length} classes; student tokenizer ${tokenizer.vocabSize} tokens; tfjs backend ${backend}`);

    // 1. Teacher: its own tokenizer, run by ONNX Runtime; logits computed once.
    const trainLogits = await textTeacherLogits(teacher, data.texts.train, { classNames, batchSize: 512 });
    const testLogits = await textTeacherLogits(teacher, data.texts.test, { classNames, batchSize: 512 });
    const teacherScore = evaluate(testLogits, data.test.labels);
    const teacherIds = teacher.tokenizer.encodeBatch(data.texts.test.slice(0, 256));
    const teacherRow: ModelRow = {
      name: 'teacher (transformer, ONNX)',
      kind: 'teacher',
      accuracy: teacherScore.accuracy,
      nll: teacherScore.nll,
      ece: teacherScore.ece,
      params: teacher.model.proto.graph.initializer.reduce((n, t) => n + (t.dims ?? []).reduce((a, d) => a * Number(d), 1), 0),
      bytes: teacher.bytes,
      gzipBytes: gzipSync(encodeOnnx(teacher.model.proto), { level: 9 }).byteLength,
      samplesPerSecond: await throughput(teacher.model, new Tensor('int32', [teacherIds.rows, teacherIds.maxLength], teacherIds.ids), options.quick ? 3 : 20),
      files: [path.join(corpus, 'teacher', 'onnx', 'model.onnx')],
    };
    results.models.push(teacherRow);
    log(`teacher: test accuracy ${pct(teacherRow.accuracy)}, ${teacherRow.params.toLocaleString('en-US')} params`);

    // 2. Few labels: a seeded tenth of the training texts keep theirs; the rest is the transfer set.
    const order = new Rng(seed).permutation(data.train.size);
    const labelledCount = Math.max(classNames.length, Math.round(data.train.size * 0.1));
    const labelled = Int32Array.from(order.subarray(0, labelledCount)).sort();
    const transfer = Int32Array.from(order.subarray(labelledCount)).sort();
    const train = data.train.subset(labelled);
    const spec = 'text-bag:16';
    const build = () => buildTextStudent(spec, { sequenceLength: tokenizer.maxLength, vocabSize: tokenizer.vocabSize, padId: tokenizer.padId, numClasses: classNames.length, seed });
    const common = { batchSize: 64, seed, optimizer: { name: 'adam' as const, learningRate: 5e-3 } };
    const alone = await trainAlone({ student: build(), data: train, test: data.test, epochs, ...common });
    results.curves.push(curveOf(`${spec} alone`, alone.history));
    // The transfer texts keep their place but lose their labels (UNLABELLED): soft targets only.
    const partlyLabelled = Int32Array.from(data.train.labels);
    for (const i of transfer) partlyLabelled[i] = UNLABELLED;
    const kd = await distill({
      teacher: { logits: trainLogits, testLogits, name: 'teacher' },
      student: build(),
      data: { train: data.train.withLabels(partlyLabelled), test: data.test },
      temperature: 2,
      alpha: 0.5,
      epochs: transferEpochs,
      ...common,
    });
    results.curves.push(curveOf(`${spec} distilled`, kd.report.history));

    // 3. Both students as tfjs + ONNX, scored by ONNX Runtime on the student tokenizer's ids.
    const studentIds = await data.test.read(Int32Array.from({ length: data.test.size }, (_, i) => i));
    const record = async (name: string, model: tfl.LayersModel, dir: string): Promise<ModelRow> => {
      const files = await saveTfjsModel(model, path.join(out, dir));
      const bytes = encodeOnnx(await exportTfjs(model));
      const onnxFile = path.join(out, `${dir}.onnx`);
      await writeFileAtomic(onnxFile, bytes);
      const onnx = await OnnxTextModel.create(bytes, { name, padId: tokenizer.padId });
      try {
        const score = evaluate(await onnx.predict(studentIds), data.test.labels);
        const row: ModelRow = { name, kind: 'student', ...score, params: model.countParams(), bytes: bytes.byteLength, gzipBytes: gzipSync(bytes, { level: 9 }).byteLength, samplesPerSecond: await throughput(onnx, studentIds, options.quick ? 3 : 20), files: [...files, onnxFile] };
        results.models.push(row);
        return row;
      } finally {
        await onnx.dispose();
      }
    };
    const aloneRow = await record(`${spec} alone (${labelledCount} labels)`, alone.student, 'student-alone');
    const kdRow = await record(`${spec} distilled (+${transfer.length} unlabelled)`, kd.model, 'student-distilled');
    log(`student alone: ${pct(aloneRow.accuracy)}; distilled with the transfer set: ${pct(kdRow.accuracy)} (teacher ${pct(teacherRow.accuracy)})`);
    results.notes.push(
      `Text task on Debian package descriptions: teacher folder ${path.join(corpus, 'teacher')} (transformers.js layout, ${teacher.tokenizer.modelType} tokenizer of ${teacher.tokenizer.vocabSize} tokens, ONNX Runtime); students ${spec} on a ${tokenizer.vocabSize}-token tokenizer, ${labelledCount} labelled texts (${epochs} epochs alone) and ${transfer.length} unlabelled texts for distillation (${transferEpochs} epochs, hinton τ=2 α=0.5).`,
      `Distilled student: ${(teacherRow.bytes! / kdRow.bytes!).toFixed(1)}x smaller than the teacher's ONNX file, ${(kdRow.samplesPerSecond! / teacherRow.samplesPerSecond!).toFixed(1)}x its ONNX Runtime throughput at batch 256.`,
    );
  } finally {
    await teacher.dispose();
  }
  results.seconds = (performance.now() - started) / 1000;
  await writeFileAtomic(path.join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFileAtomic(path.join(out, 'report.html'), renderReport(results));
  log(`wrote ${path.join(out, 'results.json')} and ${path.join(out, 'report.html')} (${results.seconds.toFixed(0)} s)`);
  return results;
}
