import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openData, type TextDatasetSplits, TextTokenizer } from '@shrinkray/datasets';
import { buildTextStudent, openTextTeacher, type TextTeacher } from '@shrinkray/distill';
import { DataType, encodeOnnx, exportTfjs, loadOnnx, OnnxTextModel } from '@shrinkray/onnx-io';
import { initBackend, type Model, stratifiedSplit, type Tensor, TfjsModel, train } from '@shrinkray/tensor-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensemble } from './driver.js';
import { mergeTextMembers } from './onnx/merge-text.js';
import { MemberMismatchError } from './errors/member-mismatch-error.js';
import { EnsembleServingError } from './errors/serving-error.js';
import { serveEnsemble } from './serve.js';
import { mixedMembers } from './testing/members.test.util.js';
import { checkOnnx } from './testing/onnx-checker.test.util.js';
import { accuracyReference as accuracy, softmaxReference as softmax } from './testing/reference.test.util.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../datasets/fixtures/text');
const jsonl = `jsonl:${path.join(fixtures, 'train.jsonl')},${path.join(fixtures, 'test.jsonl')}`;

let data: TextDatasetSplits;
let teacher: TextTeacher;
let members: Model[];
let testIds: Tensor<'int32'>;

async function student(spec: string, seed: number, tokenizer: TextTokenizer, epochs: number) {
  const model = buildTextStudent(spec, { sequenceLength: tokenizer.maxLength, vocabSize: tokenizer.vocabSize, padId: tokenizer.padId, numClasses: 8, seed });
  await train({ model, data: data.train, epochs, batchSize: 64, seed, optimizer: { name: 'adam', learningRate: 0.02 } });
  return model;
}

beforeAll(async () => {
  await initBackend();
  // The teacher's WordPiece tokenizer makes the shared ids; the students are trained on them.
  teacher = await openTextTeacher(`hf:${path.join(fixtures, 'teacher')}`);
  data = (await openData(jsonl, { tokenizer: teacher.tokenizer, classes: teacher.classNames })) as TextDatasetSplits;
  const bag = await student('text-bag:8', 1, teacher.tokenizer, 3);
  const cnn = await student('text-cnn:8,8', 2, teacher.tokenizer, 2);
  // A tfjs student, the same kind of student served from its ONNX export (INT32 input_ids), and the
  // BERT-shaped teacher (INT64 input_ids, attention_mask, token_type_ids).
  const onnxCnn = await OnnxTextModel.create(encodeOnnx(await exportTfjs(cnn)), { name: 'cnn.onnx', padId: teacher.tokenizer.padId });
  members = [new TfjsModel(bag, 'bag.json'), onnxCnn, teacher.model];
  testIds = await data.test.read(Int32Array.from({ length: data.test.size }, (_, i) => i));
}, 120_000);

afterAll(async () => {
  await members?.[1]?.dispose();
  await teacher?.dispose();
});

describe('ensemble of text models (one tokenizer)', () => {
  it('mean: members, ensemble and the fused ONNX graph (INT64 input_ids + attention_mask + token_type_ids) agree with a hand computation', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ensemble-text-'));
    const output = path.join(dir, 'ensemble.onnx');
    const { model, report } = await ensemble({ models: members, data, tokenizers: [teacher.tokenizer, teacher.tokenizer, teacher.tokenizer], fuse: true, output });
    // Reference: each member's own predictions on the test ids, softmaxed and averaged here.
    const probs = await Promise.all(members.map(async (m) => softmax(await m.predict(testIds))));
    const mean = probs[0]!.map((_, k) => (probs[0]![k]! + probs[1]![k]! + probs[2]![k]!) / 3);
    for (const [i, m] of report.members.entries()) {
      expect(m.accuracy).toBeCloseTo(accuracy(probs[i]!, data.test.labels, 8), 12);
      expect(m.weight).toBeCloseTo(1 / 3, 12);
    }
    expect(report.ensemble.accuracy).toBeCloseTo(accuracy(mean, data.test.labels, 8), 12);
    expect(report.ensemble.samples).toBe(400);
    // The students learned something (8 classes: chance 1/8), so the average is not trivial.
    expect(Math.min(...report.members.map((m) => m.accuracy))).toBeGreaterThan(0.3);
    const combined = await model.predict(testIds);
    let jsDiff = 0;
    for (let k = 0; k < mean.length; k++) jsDiff = Math.max(jsDiff, Math.abs(combined.data[k]! - mean[k]!));
    expect(jsDiff).toBeLessThan(1e-6);
    // Sessions mode: one ORT session per member (the tfjs student exported), combined in JS.
    const server = await serveEnsemble(model, { mode: 'sessions', padId: teacher.tokenizer.padId });
    const served = await server.run(testIds);
    await server.dispose();
    let sessionsDiff = 0;
    for (let k = 0; k < mean.length; k++) sessionsDiff = Math.max(sessionsDiff, Math.abs(served.data[k]! - mean[k]!));
    expect(sessionsDiff).toBeLessThan(1e-5);

    // The written graph: checker-valid, integer inputs, ORT's output = the hand mean within 1e-5.
    expect(checkOnnx(output)).toMatch(/^ok /);
    const proto = await loadOnnx(output);
    expect(proto.graph.input.map((i) => [i.name, i.type?.tensorType?.elemType])).toEqual([
      ['input_ids', DataType.INT64],
      ['attention_mask', DataType.INT64],
      ['token_type_ids', DataType.INT64],
    ]);
    expect(proto.graph.node.filter((n) => n.opType === 'Cast' && n.input[0] === 'input_ids')).toHaveLength(2);
    const fused = await OnnxTextModel.create(output, { padId: teacher.tokenizer.padId });
    expect(fused.outputKind).toBe('probabilities');
    const p = await fused.run(testIds);
    let maxDiff = 0;
    for (let k = 0; k < mean.length; k++) maxDiff = Math.max(maxDiff, Math.abs(p.data[k]! - mean[k]!));
    expect(maxDiff).toBeLessThan(1e-5);
    expect(report.fused!.maxAbsDiff).toBeLessThan(1e-5);
    expect(report.fused!.accuracy).toBe(report.ensemble.accuracy);
    // eval reads the fused graph's probabilities as log p.
    const logits = await fused.predict(testIds);
    expect(logits.data[0]).toBeCloseTo(Math.log(mean[0]!), 4);
    await fused.dispose();
  }, 60_000);

  it('accuracy-weighted: wᵢ = accᵢ / Σ accⱼ on the seeded validation split of the training texts', async () => {
    const { report } = await ensemble({ models: members, data, aggregator: 'accuracy-weighted', seed: 3, validationFraction: 0.2 });
    const validation = stratifiedSplit(data.train, 0.2, 3).second;
    const ids = await validation.read(Int32Array.from({ length: validation.size }, (_, i) => i));
    const acc = await Promise.all(members.map(async (m) => accuracy((await m.predict(ids)).data, validation.labels, 8)));
    const total = acc.reduce((a, b) => a + b, 0);
    expect(report.validation).toEqual({ samples: validation.size, fraction: 0.2 });
    for (const [i, m] of report.members.entries()) expect(m.weight).toBeCloseTo(acc[i]! / total, 12);
  }, 60_000);

  it.each(['optimized', 'stacking'])('%s: the fused graph gives the JS combination within 1e-5', async (aggregator) => {
    const { report } = await ensemble({ models: members, data, aggregator, seed: 1, fuse: true });
    expect(report.aggregator).toBe(aggregator);
    expect(report.fused!.maxAbsDiff).toBeLessThan(1e-5);
    expect(report.fused!.accuracy).toBe(report.ensemble.accuracy);
  }, 60_000);
});

describe('fused graph of text students only', () => {
  it.each([
    [undefined, DataType.INT32, 0],
    ['int64', DataType.INT64, 2],
  ] as const)('tokenIds %s: input_ids only, elem type %i, %i Casts; ORT = the members averaged by hand within 1e-5', async (tokenIds, elemType, casts) => {
    const students = members.slice(0, 2);
    const dir = mkdtempSync(path.join(tmpdir(), 'ensemble-text-'));
    const output = path.join(dir, 'students.onnx');
    const { report } = await ensemble({ models: students, data, fuse: true, output, ...(tokenIds ? { tokenIds } : {}) });
    const proto = await loadOnnx(output);
    expect(proto.graph.input.map((i) => [i.name, i.type?.tensorType?.elemType, i.type?.tensorType?.shape?.dim?.[1]?.dimValue])).toEqual([['input_ids', elemType, 32]]);
    expect(proto.graph.node.filter((n) => n.opType === 'Cast' && n.input[0] === 'input_ids')).toHaveLength(casts);
    expect(checkOnnx(output)).toMatch(/^ok /);
    const probs = await Promise.all(students.map(async (m) => softmax(await m.predict(testIds))));
    const fused = await OnnxTextModel.create(output);
    expect(fused.inputs).toEqual([{ name: 'input_ids', type: tokenIds ?? 'int32' }]);
    const p = await fused.run(testIds);
    await fused.dispose();
    let maxDiff = 0;
    for (let k = 0; k < p.size; k++) maxDiff = Math.max(maxDiff, Math.abs(p.data[k]! - (probs[0]![k]! + probs[1]![k]!) / 2));
    expect(maxDiff).toBeLessThan(1e-5);
    expect(report.fused!.maxAbsDiff).toBeLessThan(1e-5);
  }, 60_000);
});

describe('mergeTextMembers', () => {
  it('refuses members fixing different sequence lengths, naming the member', async () => {
    const short = buildTextStudent('text-bag:4', { sequenceLength: 16, vocabSize: teacher.tokenizer.vocabSize, padId: teacher.tokenizer.padId, numClasses: 8, seed: 5 });
    const graphs = [await exportTfjs((members[0] as TfjsModel).layersModel), await exportTfjs(short)];
    expect(() => mergeTextMembers(graphs)).toThrow(/member 1 input 'input_ids' has 16 tokens per row, an earlier member 32/);
    short.dispose();
  });
});

describe('members with different tokenizers, each reading its own ids (memberData)', () => {
  it('a student on the student tokenizer + the teacher on its own: accuracy weights and the ensemble match a hand computation; one-input uses refused', async () => {
    const studentTokenizer = await TextTokenizer.load(path.join(fixtures, 'student-tokenizer'));
    const studentData = (await openData(jsonl, { tokenizer: studentTokenizer, classes: teacher.classNames })) as TextDatasetSplits;
    const model = buildTextStudent('text-bag:8', { sequenceLength: studentTokenizer.maxLength, vocabSize: studentTokenizer.vocabSize, padId: studentTokenizer.padId, numClasses: 8, seed: 4 });
    await train({ model, data: studentData.train, epochs: 3, batchSize: 64, seed: 4, optimizer: { name: 'adam', learningRate: 0.02 } });
    const own = new TfjsModel(model, 'own-bag.json');
    const models = [own, teacher.model];
    const { model: fitted, report } = await ensemble({
      models,
      data: studentData,
      memberData: [undefined, data],
      tokenizers: [studentTokenizer, teacher.tokenizer],
      aggregator: 'accuracy-weighted',
      seed: 3,
      validationFraction: 0.2,
    });
    // Reference: each member on ids tokenized by its own tokenizer; the validation rows are the split of the student's training data.
    const { secondIndices } = stratifiedSplit(studentData.train, 0.2, 3);
    const read = (ds: typeof data.train, rows: ArrayLike<number>) => ds.read(Int32Array.from(rows));
    const validationAcc = [
      accuracy((await own.predict(await read(studentData.train, secondIndices))).data, studentData.train.subset(secondIndices).labels, 8),
      accuracy((await teacher.model.predict(await read(data.train, secondIndices))).data, data.train.subset(secondIndices).labels, 8),
    ];
    const weights = validationAcc.map((a) => a / (validationAcc[0]! + validationAcc[1]!));
    for (const [i, m] of report.members.entries()) expect(m.weight).toBeCloseTo(weights[i]!, 12);
    const all = Int32Array.from({ length: data.test.size }, (_, i) => i);
    const probs = [softmax(await own.predict(await studentData.test.read(all))), softmax(await teacher.model.predict(await data.test.read(all)))];
    expect(report.members[0]!.accuracy).toBeCloseTo(accuracy(probs[0]!, studentData.test.labels, 8), 12);
    expect(report.members[1]!.accuracy).toBeCloseTo(accuracy(probs[1]!, data.test.labels, 8), 12);
    const combined = probs[0]!.map((p, k) => weights[0]! * p + weights[1]! * probs[1]![k]!);
    expect(report.ensemble.accuracy).toBeCloseTo(accuracy(combined, data.test.labels, 8), 12);
    // No one input to run the members on together: predict, serving and fusing are refused, naming the member.
    await expect(fitted.predict(testIds)).rejects.toThrow(EnsembleServingError);
    await expect(serveEnsemble(fitted, { mode: 'sessions' })).rejects.toThrow(/member 1 \(.*teacher\) reads token ids of its own tokenizer/);
    await expect(ensemble({ models, data: studentData, memberData: [undefined, data], fuse: true })).rejects.toThrow(/^fused serving: member 1 /);
    // The member's own data must hold the same rows.
    await expect(ensemble({ models, data: studentData, memberData: [undefined, { test: data.test.subset([0, 1, 2]) }] })).rejects.toThrow(/^memberData\[1\]\.test: .* has 3 rows but .* has 400/);
  }, 60_000);
});

describe('ensemble of text models: refusals before any member runs', () => {
  /** The members, each counting its predict calls. */
  const counted = () => {
    let calls = 0;
    const wrapped = members.map((m) => Object.assign(Object.create(m) as Model, {
        predict: (x: Tensor<'int32'>) => {
          calls++;
          return m.predict(x);
        },
      }));
    return { wrapped, calls: () => calls };
  };

  it('a member with another tokenizer (the teacher, when the data holds the student tokenizer ids) is named', async () => {
    const studentTokenizer = await TextTokenizer.load(path.join(fixtures, 'student-tokenizer'), { maxLength: teacher.tokenizer.maxLength });
    const studentData = (await openData(jsonl, { tokenizer: studentTokenizer, classes: teacher.classNames })) as TextDatasetSplits;
    const { wrapped, calls } = counted();
    const run = ensemble({ models: [wrapped[0]!, wrapped[2]!], data: studentData, tokenizers: [undefined, teacher.tokenizer], fuse: true });
    await expect(run).rejects.toThrow(MemberMismatchError);
    await expect(run).rejects.toThrow(/^ensemble member 1 \(.*teacher\): tokenizer: expected the token ids of .*student-tokenizer\/tokenizer\.json \(32 tokens, pad id 0\).*found .*teacher\/tokenizer\.json/);
    expect(calls()).toBe(0);
  });

  it('data tokenized to another length than the students fix names the first such student', async () => {
    const short = (await openData(jsonl, { tokenizer: await TextTokenizer.load(path.join(fixtures, 'teacher'), { maxLength: 16 }), classes: teacher.classNames })) as TextDatasetSplits;
    const { wrapped, calls } = counted();
    const run = ensemble({ models: wrapped, data: short });
    await expect(run).rejects.toThrow('ensemble member 0 (bag.json): sequence length: expected 32 tokens per text, found 16 in');
    expect(calls()).toBe(0);
  });

  it('a text member and an image member do not mix', async () => {
    const [image] = await mixedMembers();
    await expect(ensemble({ models: [members[0]!, image!], data })).rejects.toThrow('ensemble member 1 (mlp.json): input: expected token ids (as bag.json), found float features');
  });
});
