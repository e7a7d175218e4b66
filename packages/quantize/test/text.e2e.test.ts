import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openData, type TextDatasetSplits, TextTokenizer } from '@shrinkray/datasets';
import { decodeOnnx, encodeOnnx, exportTfjs, floatsFromProto, OnnxTextModel } from '@shrinkray/onnx-io';
import { Dataset, initBackend, MaskedMeanPooling1D, Tensor, tfl, train } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CalibrationDataError } from '../src/errors/calibration-data-error.js';
import { quantize } from '../src/quantize.js';
import { checkOnnx, pythonJson } from '../src/testing.test.util.js';

// The Debian package-description fixtures: a small BERT-shaped teacher (PyTorch → ONNX, int64
// input_ids/attention_mask/token_type_ids) and its tokenizer, a student tokenizer, 1500/400 texts.
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../datasets/fixtures/text');
const f = (name: string) => path.join(fixtures, name);
const spec = `jsonl:${f('train.jsonl')},${f('test.jsonl')}`;
const classes = Object.values(JSON.parse(readFileSync(f('teacher/config.json'), 'utf8')).id2label as Record<string, string>);
// PyTorch's accuracy of the teacher on the test split, written by make-text-fixtures.py.
const torchAccuracy: number = JSON.parse(readFileSync(f('teacher-logits.json'), 'utf8')).testAccuracy;

let teacherTokenizer: TextTokenizer;
let teacherData: TextDatasetSplits;
let studentTokenizer: TextTokenizer;
let studentData: TextDatasetSplits;

beforeAll(async () => {
  await initBackend();
  teacherTokenizer = await TextTokenizer.load(f('teacher'));
  teacherData = (await openData(spec, { tokenizer: teacherTokenizer, classes })) as TextDatasetSplits;
  studentTokenizer = await TextTokenizer.load(f('student-tokenizer'));
  studentData = (await openData(spec, { tokenizer: studentTokenizer, classes })) as TextDatasetSplits;
});

/** A text-cnn (or, with `bag`, a text-bag) student trained for a few epochs on the student tokenizer's ids, as ONNX bytes. */
async function student(bag: boolean): Promise<Uint8Array> {
  const L = studentTokenizer.maxLength;
  const input = tfl.input({ shape: [L], dtype: 'int32', name: 'input_ids' });
  const emb = tfl.layers.embedding({ inputDim: studentTokenizer.vocabSize, outputDim: 16, embeddingsInitializer: tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 1 }), name: 'embedding' }).apply(input) as tfl.SymbolicTensor;
  let h: tfl.SymbolicTensor;
  if (bag) h = new MaskedMeanPooling1D({ padId: studentTokenizer.padId, name: 'mean_pool' }).apply([emb, input]) as tfl.SymbolicTensor;
  else {
    h = tfl.layers.conv1d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }), name: 'conv' }).apply(emb) as tfl.SymbolicTensor;
    h = tfl.layers.globalMaxPooling1d({ name: 'max_pool' }).apply(h) as tfl.SymbolicTensor;
  }
  h = tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }), name: 'dense_1' }).apply(h) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: classes.length, kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }), name: 'logits' }).apply(h) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: logits, name: bag ? 'text-bag' : 'text-cnn' });
  await train({ model, data: studentData.train, optimizer: { name: 'adam', learningRate: 0.01 }, epochs: 4, batchSize: 32, seed: 1 });
  const bytes = encodeOnnx(await exportTfjs(model));
  model.dispose();
  return bytes;
}

describe('static int8 of text models calibrated on token ids', () => {
  it('the transformer teacher (int64 input_ids/attention_mask/token_type_ids): within 1 point of float, MatMuls and embedding tables in int8, the attention-mask Add left float', async () => {
    const { bytes, report } = await quantize({ model: f('teacher/onnx/model.onnx'), data: teacherData, mode: 'static', padId: teacherTokenizer.padId, calibrationSamples: 256, throughput: false });
    // the float model fed by the data's ids scores what PyTorch scored (an independent reference)
    expect(report.accuracy!.before).toBeCloseTo(torchAccuracy, 6);
    expect(Math.abs(report.accuracy!.after - report.accuracy!.before)).toBeLessThanOrEqual(0.01);
    expect(report.quantized.filter((q) => q.opType === 'MatMul').length).toBe(6);
    expect(report.quantized.filter((q) => q.opType === 'Gather').map((q) => q.node)).toEqual(['/word/Gather', '/pos/Gather', '/token_type/Gather']);
    expect(report.skipped.find((s) => s.node === '/layers.0/Add_1')?.reason).toMatch(/computed from constants and integer inputs alone/);
    expect(report.fused!.int8Nodes.filter((n) => n.opType === 'QLinearMatMul').length).toBe(6);
    expect(report.bytes.after.bytes).toBeLessThan(0.4 * report.bytes.before.bytes);
    expect(checkOnnx([bytes])).toMatch(/^ok/);
  }, 120_000);

  it('dynamic int8 of the teacher also stores its embedding tables in int8: within 1 point of float, about 3x smaller, checker passes', async () => {
    const { bytes, report } = await quantize({ model: f('teacher/onnx/model.onnx'), data: teacherData, mode: 'dynamic', padId: teacherTokenizer.padId, throughput: false });
    expect(report.quantized.filter((q) => q.opType === 'Gather').length).toBe(3);
    expect(report.fused!.int8Nodes.filter((n) => n.opType === 'DynamicQuantizeMatMul').length).toBeGreaterThanOrEqual(4);
    expect(Math.abs(report.accuracy!.after - report.accuracy!.before)).toBeLessThanOrEqual(0.01);
    expect(report.bytes.after.bytes).toBeLessThan(0.4 * report.bytes.before.bytes);
    expect(checkOnnx([bytes])).toMatch(/^ok/);
  }, 120_000);

  it('without data a text model is quantized dynamically and not timed (no token ids to time it on)', async () => {
    const { bytes, report } = await quantize({ model: f('teacher/onnx/model.onnx'), mode: 'dynamic', fused: false });
    expect(report.throughput).toBeNull();
    expect(report.accuracy).toBeNull();
    expect(report.quantized.filter((q) => q.opType === 'Gather').length).toBe(3);
    expect(checkOnnx([bytes])).toMatch(/^ok/);
  }, 120_000);

  it('embedding tables: the int8 lookup is the numpy-quantized table (per-column symmetric scales) exactly; --gather off keeps them float', async () => {
    const onnx = await student(true);
    const { bytes, report } = await quantize({ model: onnx, data: studentData, mode: 'static', exclude: ['Gemm'], evaluate: false, throughput: false, fused: false });
    expect(report.quantized.map((q) => q.opType)).toEqual(['Gather']);
    const floatOnly = await quantize({ model: onnx, data: studentData, mode: 'static', exclude: ['Gemm'], gather: false, evaluate: false, throughput: false, fused: false });
    expect(floatOnly.report.quantized).toEqual([]);
    // the quantized model's first-layer output equals the float model run on numpy's int8 table
    const ids = (await studentData.test.read(Int32Array.from({ length: 32 }, (_, i) => i))) as Tensor<'int32'>;
    const table = decodeOnnx(onnx).graph.initializer.find((t) => (t.dims ?? []).length === 2 && Number(t.dims![0]) === studentTokenizer.vocabSize)!;
    const values = Array.from(floatsFromProto(table));
    const reference = pythonJson(
      'import sys, json, numpy as np\nd = json.load(sys.stdin)\nw = np.array(d["w"], dtype=np.float32).reshape(d["shape"])\ns = (np.abs(w).max(axis=0) / np.float32(127)).astype(np.float32)\nq = np.clip(np.round(w / s), -127, 127)\nprint(json.dumps((q * s).astype(np.float32).ravel().tolist()))',
      { w: values, shape: (table.dims ?? []).map(Number) },
    ) as number[];
    const model = decodeOnnx(onnx);
    model.graph.initializer = model.graph.initializer.map((t) => (t.name !== table.name ? t : { ...t, rawData: new Uint8Array(Float32Array.from(reference).buffer), floatData: [] }));
    const run = async (b: Uint8Array) => {
      const m = await OnnxTextModel.create(b, { padId: studentTokenizer.padId });
      try {
        return (await m.predict(ids)).data;
      } finally {
        await m.dispose();
      }
    };
    const a = await run(bytes);
    const b = await run(encodeOnnx(model));
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    expect(diff).toBeLessThan(1e-5);
    expect(bytes.length).toBeLessThan(0.4 * floatOnly.bytes.length);
  }, 120_000);

  it('text-cnn and text-bag students (int32 input_ids): within 1 point of float on the test split, checker passes', async () => {
    for (const bag of [false, true]) {
      const { bytes, report } = await quantize({ model: await student(bag), data: studentData, mode: 'static', padId: studentTokenizer.padId, throughput: false });
      expect(report.accuracy!.before, bag ? 'text-bag' : 'text-cnn').toBeGreaterThan(0.5);
      expect(Math.abs(report.accuracy!.after - report.accuracy!.before)).toBeLessThanOrEqual(0.01);
      expect(report.quantized.some((q) => q.opType === (bag ? 'Gemm' : 'Conv'))).toBe(true);
      expect(checkOnnx([bytes])).toMatch(/^ok/);
    }
  }, 120_000);

  it('float examples for a text model, or ids of the wrong length, are a CalibrationDataError naming input_ids, before any calibration', async () => {
    const floats = Dataset.fromArrays(new Tensor('float32', [4, 32], new Float32Array(128)), Int32Array.from([0, 1, 2, 3]), { numClasses: 8, name: 'floats' });
    await expect(quantize({ model: f('teacher/onnx/model.onnx'), data: floats, mode: 'static' })).rejects.toSatisfy((e: unknown) => CalibrationDataError.isInstance(e) && e.node === 'input_ids' && /float32 examples of shape \[32\]/.test(e.message));
    const onnx = await student(true);
    const short = Dataset.fromArrays(new Tensor('int32', [4, 8], new Int32Array(32)), Int32Array.from([0, 1, 2, 3]), { numClasses: 8, name: 'short' });
    await expect(quantize({ model: onnx, data: short, mode: 'static' })).rejects.toSatisfy((e: unknown) => CalibrationDataError.isInstance(e) && /\[N,32\]/.test(e.message));
  }, 60_000);
});
