import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openData, type TextDatasetSplits, TextTokenizer } from '@shrinkray/datasets';
import { encodeOnnx, exportTfjs, OnnxTextModel } from '@shrinkray/onnx-io';
import { accuracy, type Tensor, TfjsModel } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { distill } from './distill.js';
import { openTextTeacher, textTeacherSource } from './teachers/text-teacher.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../datasets/fixtures/text');

describe('distill with a text teacher (own tokenizer) and a text student (another tokenizer)', () => {
  it('trains text-bag on Debian descriptions; ONNX export of the student matches tfjs', async () => {
    const tokenizer = await TextTokenizer.load(path.join(fixtures, 'student-tokenizer'));
    const data = (await openData(`jsonl:${path.join(fixtures, 'train.jsonl')},${path.join(fixtures, 'test.jsonl')}`, { tokenizer })) as TextDatasetSplits;
    const teacher = await openTextTeacher(`hf:${path.join(fixtures, 'teacher')}`);
    const source = await textTeacherSource(teacher, data.texts, { classNames: data.train.classNames });
    await teacher.dispose();
    const { model: student, report: summary } = await distill({
      teacher: source,
      student: 'text-bag:16',
      studentTokenizer: { vocabSize: tokenizer.vocabSize, padId: tokenizer.padId },
      data: { train: data.train, test: data.test },
      epochs: 4,
      batchSize: 32,
      optimizer: { name: 'adam', learningRate: 0.01 },
      seed: 1,
    });
    expect(summary.teacher.accuracy).toBeCloseTo(accuracy(source.testLogits as Tensor<'float32'>, data.test.labels), 6);
    // 8 classes: chance is 1/8.
    expect(summary.student.accuracy!).toBeGreaterThan(0.35);
    expect(summary.student.params).toBe(tokenizer.vocabSize * 16 + 16 * 8 + 8);
    const onnx = await OnnxTextModel.create(encodeOnnx(await exportTfjs(student)), { padId: tokenizer.padId });
    const ids = await data.test.read(Int32Array.from({ length: 64 }, (_, i) => i));
    const a = await onnx.predict(ids);
    const b = await new TfjsModel(student).predict(ids);
    let max = 0;
    for (let i = 0; i < a.size; i++) max = Math.max(max, Math.abs(a.data[i]! - b.data[i]!));
    expect(max).toBeLessThan(1e-4);
    await onnx.dispose();
  }, 120_000);
});
