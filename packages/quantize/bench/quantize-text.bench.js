// `pnpm bench quantize-text`: int8 of text models on the committed Debian package-description fixtures
// (packages/datasets/fixtures/text), side by side in one run: the transformer teacher (a small BERT-shaped
// encoder from PyTorch, int64 input_ids/attention_mask/token_type_ids, fed by its own tokenizer) and two
// students trained here on the student tokenizer's int32 ids (text-cnn 16,32/16 and text-bag 16/16, the
// shapes `shrinkray distill --student` builds). Each model: float32, static int8 calibrated on 512 training
// texts and dynamic int8, each with the embedding tables in int8 (default) and in float32 (`gather: false`).
// Reported: accuracy on the 400 test texts, ONNX bytes, ORT samples/s at batch 1 and 64 (one intra-op
// thread, the variants of a model interleaved in rounds, best round each, CPU-time clock).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openData, TextTokenizer } from '@shrinkray/datasets';
import { encodeOnnx, exportTfjs } from '@shrinkray/onnx-io';
import { initBackend, MaskedMeanPooling1D, tfl, train } from '@shrinkray/tensor-core';
import { measureThroughput, quantize } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../../datasets/fixtures/text');
const f = (name) => path.join(fixtures, name);

/** A text student (hand-built like distill's text-cnn / text-bag), trained 4 epochs on the ids, as ONNX bytes. */
async function student(tokenizer, data, classes, bag) {
  const L = tokenizer.maxLength;
  const input = tfl.input({ shape: [L], dtype: 'int32', name: 'input_ids' });
  const emb = tfl.layers.embedding({ inputDim: tokenizer.vocabSize, outputDim: 16, embeddingsInitializer: tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 1 }), name: 'embedding' }).apply(input);
  let h = bag
    ? new MaskedMeanPooling1D({ padId: tokenizer.padId, name: 'mean_pool' }).apply([emb, input])
    : tfl.layers.globalMaxPooling1d({ name: 'max_pool' }).apply(tfl.layers.conv1d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }), name: 'conv' }).apply(emb));
  h = tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }), name: 'dense_1' }).apply(h);
  const logits = tfl.layers.dense({ units: classes.length, kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }), name: 'logits' }).apply(h);
  const model = tfl.model({ inputs: input, outputs: logits });
  await train({ model, data: data.train, optimizer: { name: 'adam', learningRate: 0.01 }, epochs: 4, batchSize: 32, seed: 1 });
  return encodeOnnx(await exportTfjs(model));
}

/** @type {import('../../../tooling/bench/registry.js').Benchmark} */
export default {
  name: 'quantize-text',
  description: 'static/dynamic int8 of the text teacher (hf: folder) and text-cnn/text-bag students on the Debian fixtures: accuracy, size, ORT batch-1/64 throughput, embedding tables int8 vs float',
  async run({ quick, log }) {
    await initBackend();
    const spec = `jsonl:${f('train.jsonl')},${f('test.jsonl')}`;
    const classes = Object.values(JSON.parse(readFileSync(f('teacher/config.json'), 'utf8')).id2label);
    const teacherTok = await TextTokenizer.load(f('teacher'));
    const studentTok = await TextTokenizer.load(f('student-tokenizer'));
    const teacherData = await openData(spec, { tokenizer: teacherTok, classes });
    const studentData = await openData(spec, { tokenizer: studentTok, classes });
    const models = [
      { label: 'teacher (transformer, hf:)', bytes: new Uint8Array(readFileSync(f('teacher/onnx/model.onnx'))), data: teacherData, padId: teacherTok.padId },
      { label: 'text-cnn:16,32/16', bytes: await student(studentTok, studentData, classes, false), data: studentData, padId: studentTok.padId },
      { label: 'text-bag:16/16', bytes: await student(studentTok, studentData, classes, true), data: studentData, padId: studentTok.padId },
    ];
    const variants = [
      { run: 'static int8', options: { mode: 'static' } },
      { run: 'static int8, tables float', options: { mode: 'static', gather: false } },
      { run: 'dynamic int8', options: { mode: 'dynamic' } },
      { run: 'dynamic int8, tables float', options: { mode: 'dynamic', gather: false } },
    ];
    const rows = [];
    const batches = [1, 64];
    const rounds = quick ? 2 : 7;
    for (const m of models) {
      log(`quantizing ${m.label}`);
      const results = [];
      for (const v of variants) {
        const { bytes, report } = await quantize({ model: m.bytes, data: m.data, padId: m.padId, throughput: false, fused: false, ...v.options });
        results.push({ run: v.run, bytes, report });
      }
      const examples = await m.data.test.read(Int32Array.from({ length: 64 }, (_, i) => i));
      const sps = await measureThroughput([{ name: 'fp32', bytes: m.bytes }, ...results.map((r) => ({ name: r.run, bytes: r.bytes }))], { batchSizes: batches, rounds, minMs: quick ? 100 : 300, clock: 'cpu', examples, padId: m.padId });
      const fp32 = sps.get('fp32');
      const accuracy = results[0].report.accuracy.before;
      rows.push({ model: m.label, run: 'float32', accuracy, bytes: m.bytes.length, b1: fp32.get(1), b1x: 1, b64: fp32.get(64), b64x: 1 });
      for (const r of results) {
        const s = sps.get(r.run);
        rows.push({ model: m.label, run: r.run, accuracy: r.report.accuracy.after, bytes: r.bytes.length, b1: s.get(1), b1x: s.get(1) / fp32.get(1), b64: s.get(64), b64x: s.get(64) / fp32.get(64) });
      }
    }
    return {
      title: 'int8 of text models (Debian package descriptions, 8 sections)',
      columns: [
        { key: 'model', label: 'model' },
        { key: 'run', label: 'variant' },
        { key: 'accuracy', label: 'test acc', digits: 4 },
        { key: 'bytes', label: 'ONNX bytes', digits: 0 },
        { key: 'b1', label: 'ORT b1 samples/s', digits: 0 },
        { key: 'b1x', label: 'b1 x fp32', digits: 2 },
        { key: 'b64', label: 'ORT b64 samples/s', digits: 0 },
        { key: 'b64x', label: 'b64 x fp32', digits: 2 },
      ],
      rows,
      notes: [
        `Data: the committed fixtures (${teacherData.train.size} training texts, ${teacherData.test.size} test texts, 32 tokens); calibration on 512 seeded-random training texts. Students trained here 4 epochs (Adam 0.01, batch 32) on the student tokenizer's ids.`,
        `ORT samples/s of the process's CPU time, one intra-op thread, native session called directly, the variants of a model interleaved, best of ${rounds} rounds; batches are the first 64 test texts' ids (repeated to the batch).`,
        'int8 (static and dynamic) stores embedding tables in int8 (one scale per column) and dequantizes the rows looked up; "tables float" keeps them float32 (`gather: false`, CLI `--no-gather`).',
      ],
    };
  },
};
