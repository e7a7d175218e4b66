import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { TeacherStudentMismatchError } from '../errors/teacher-student-mismatch-error.js';
import { openTextTeacher, textTeacherLogits, textTeacherSource } from './text-teacher.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../datasets/fixtures/text');
// Written by make-text-fixtures.py: PyTorch's logits of the exported teacher on the first parity texts.
const reference: { texts: string[]; logits: number[][] } = JSON.parse(readFileSync(path.join(fixtures, 'teacher-logits.json'), 'utf8'));
const classes: string[] = JSON.parse(readFileSync(path.join(fixtures, 'classes.json'), 'utf8'));

describe('text teachers (transformers.js / Optimum folders)', () => {
  it('hf:DIR runs the ONNX encoder on its own tokenizer and matches PyTorch within 1e-4', async () => {
    const teacher = await openTextTeacher(`hf:${path.join(fixtures, 'teacher')}`);
    try {
      expect(teacher.classNames).toEqual(classes);
      expect(teacher.model.inputs.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
      expect(teacher.model.inputs.every((i) => i.type === 'int64')).toBe(true);
      const logits = await textTeacherLogits(teacher, reference.texts, { batchSize: 5 });
      expect(logits.shape).toEqual([reference.texts.length, classes.length]);
      let max = 0;
      for (const [r, row] of reference.logits.entries()) {
        for (const [c, v] of row.entries()) max = Math.max(max, Math.abs(v - logits.data[r * classes.length + c]!));
      }
      expect(max).toBeLessThan(1e-4);
    } finally {
      await teacher.dispose();
    }
  });

  it('reorders logit columns to the data class order, and refuses unknown classes', async () => {
    const teacher = await openTextTeacher(path.join(fixtures, 'teacher'));
    try {
      const texts = reference.texts.slice(0, 3);
      const reversed = [...classes].reverse();
      const a = await textTeacherLogits(teacher, texts);
      const b = await textTeacherLogits(teacher, texts, { classNames: reversed });
      const C = classes.length;
      for (let r = 0; r < 3; r++) for (let c = 0; c < C; c++) expect(b.data[r * C + c]).toBe(a.data[r * C + (C - 1 - c)]);
      await expect(textTeacherLogits(teacher, texts, { classNames: [...classes.slice(1), 'games'] })).rejects.toThrow(TeacherStudentMismatchError);
      const source = await textTeacherSource(teacher, { train: texts, test: texts.slice(0, 1) });
      expect((source.logits as { shape: readonly number[] }).shape).toEqual([3, C]);
      expect((source.testLogits as { shape: readonly number[] }).shape).toEqual([1, C]);
    } finally {
      await teacher.dispose();
    }
  });

  it('a folder without the model or tokenizer is a ConfigError naming it', async () => {
    await expect(openTextTeacher(`hf:${fixtures}/student-tokenizer`)).rejects.toThrow(ConfigError);
    await expect(openTextTeacher(`hf:${fixtures}`)).rejects.toThrow(/no tokenizer\.json/);
  });
});
