import { loadData, subset } from '@shrinkray/datasets';
import { loadModelForPruning, prune } from './dist/index.js';
const { train, test } = await loadData('fashion-mnist:/usr/share/datasets/fashion-mnist');
const tr = subset(train, Int32Array.from({ length: 512 }, (_, i) => i));
const te = subset(test, Int32Array.from({ length: 256 }, (_, i) => i));
for (const f of process.argv.slice(2)) {
  const m = await loadModelForPruning(`/tmp/i13-fx-test/${f}.onnx`);
  const t = Date.now();
  const { report } = await prune({ model: m, data: { train: { x: tr.x, y: tr.y }, test: { x: te.x, y: te.y } }, target: 0.5, structured: true, finetune: { epochs: 1, batchSize: 64 }, exportOnnx: false });
  console.log(f, Date.now() - t, 'ms', report.finetune, report.macs.before, report.macs.after, report.params.storedBefore, report.params.storedAfter, report.accuracy);
}
