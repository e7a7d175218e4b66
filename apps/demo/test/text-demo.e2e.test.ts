import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openData, TextTokenizer } from '@shrinkray/datasets';
import { accuracy, initBackend, loadTfjsModel, TfjsModel } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DemoResults } from '../src/results.js';
import { DEFAULT_TEXT_CORPUS, runTextDemo } from '../src/text-pipeline.js';

let out: string;
let results: DemoResults;

beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), 'shrinkray-demo-text-'));
  results = await runTextDemo({ corpus: DEFAULT_TEXT_CORPUS, out, seed: 0, quick: true, log: () => {} });
}, 600_000);

describe('demo --task text', () => {
  it('writes results.json and report.html with a teacher and two students', () => {
    const saved = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as DemoResults;
    expect(saved.models.map((m) => m.kind)).toEqual(['teacher', 'student', 'student']);
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('text-bag:16');
    // The teacher's accuracy is PyTorch's on the same test split (written by make-text-fixtures.py).
    const torch = JSON.parse(readFileSync(path.join(DEFAULT_TEXT_CORPUS, 'teacher-logits.json'), 'utf8')) as { testAccuracy: number };
    expect(saved.models[0]!.accuracy).toBeCloseTo(torch.testAccuracy, 6);
    for (const m of saved.models) expect(m.bytes! > 0 && m.samplesPerSecond! > 0).toBe(true);
  });

  it("the students' ONNX scores match their tfjs models on the test texts", async () => {
    await initBackend();
    const tokenizer = await TextTokenizer.load(path.join(DEFAULT_TEXT_CORPUS, 'student-tokenizer'));
    const { test } = await openData(`jsonl:${path.join(DEFAULT_TEXT_CORPUS, 'train.jsonl')},${path.join(DEFAULT_TEXT_CORPUS, 'test.jsonl')}`, { tokenizer });
    const ids = await test.read(Int32Array.from({ length: test.size }, (_, i) => i));
    for (const [i, dir] of [[1, 'student-alone'], [2, 'student-distilled']] as const) {
      const model = new TfjsModel(await loadTfjsModel(path.join(out, dir, 'model.json')));
      expect(accuracy(await model.predict(ids), test.labels)).toBeCloseTo(results.models[i]!.accuracy, 2);
      model.dispose();
    }
  });
});
