import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OnnxModel } from '@shrinkray/onnx-io';
import { argmax, type Model, Rng, Tensor } from '@shrinkray/tensor-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregators } from '../src/aggregators/builtins.js';
import type { LabelledOutputs } from '../src/aggregators/types.js';
import { createEnsemble } from '../src/ensemble.js';
import { saveFusedEnsemble, serveEnsemble } from '../src/serve.js';
import { mixedMembers, randomImages } from '../src/testing/members.test.util.js';
import { checkOnnx } from '../src/testing/onnx-checker.test.util.js';

function maxAbsDiff(a: Tensor<'float32'>, b: Tensor<'float32'>): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

describe('serving: sessions vs fused vs JS, mixed tfjs + ONNX members', () => {
  let members: Model[];
  let validation: LabelledOutputs;
  const x = randomImages(300, 7);
  const dir = mkdtempSync(path.join(tmpdir(), 'ensemble-serve-'));

  beforeAll(async () => {
    members = await mixedMembers(1);
    const vx = randomImages(400, 8);
    const logits = await Promise.all(members.map((m) => m.predict(vx)));
    // Labels: the argmax of the summed member logits on 85% of rows, random elsewhere - a target no
    // single member predicts but a combination can learn.
    const rng = new Rng(3);
    const sum = Tensor.float32([400, 10], logits[0]!.data.map((v, i) => v + logits[1]!.data[i]! + logits[2]!.data[i]!));
    const labels = Int32Array.from(argmax(sum), (g) => (rng.next() < 0.85 ? g : rng.int(10)));
    validation = { logits, labels };
  });

  afterAll(async () => {
    await Promise.all(members.map((m) => m.dispose()));
    rmSync(dir, { recursive: true, force: true });
  });

  for (const name of aggregators.list()) {
    it(`${name}: fused graph passes the ONNX checker and matches sessions mode within 1e-5`, async () => {
      const ensemble = await createEnsemble(members, { aggregator: name, weights: [1, 2, 3], validationOutputs: validation });
      if (name === 'stacking') expect(ensemble.aggregator.notes).toEqual([]);
      const file = path.join(dir, `${name}.onnx`);
      const { bytes } = await saveFusedEnsemble(ensemble, file);
      expect(readFileSync(file).length).toBe(bytes);
      expect(checkOnnx(file)).toMatch(/^ok /);

      const sessions = await serveEnsemble(ensemble, { mode: 'sessions' });
      const fused = await serveEnsemble(ensemble, { mode: 'fused' });
      try {
        const a = await sessions.run(x);
        const b = await fused.run(x);
        expect(a.shape).toEqual([300, 10]);
        expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
        // Rows are distributions.
        for (let r = 0; r < 300; r++) {
          let s = 0;
          for (let c = 0; c < 10; c++) s += b.data[r * 10 + c]!;
          expect(s).toBeCloseTo(1, 5);
        }
        // The JS path (members in tfjs / ORT, aggregator in JS) agrees with ORT serving.
        expect(maxAbsDiff(await ensemble.predict(x), a)).toBeLessThan(1e-4);
        // The saved file, opened by a fresh session, gives the same probabilities and labels.
        const reopened = await OnnxModel.create(file, { outputKind: 'probabilities' });
        expect(maxAbsDiff(await reopened.run(x), b)).toBe(0);
        const labels = await reopened.session.run({ input: x.toOrt() });
        expect(Array.from(labels['label']!.data as BigInt64Array, Number)).toEqual(Array.from(argmax(b)));
        await reopened.dispose();
      } finally {
        await sessions.dispose();
        await fused.dispose();
      }
    });
  }
});
