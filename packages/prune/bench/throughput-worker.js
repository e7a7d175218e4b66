// One process of `pnpm bench prune-throughput` (see prune-throughput.bench.js): prunes the train
// bench's CNN (unstructured, 50%) and ResNet-style model (structured by dependency groups, 50%) and
// fine-tunes them on the first rows of Fashion-MNIST (MNIST when absent); prints the last fine-tuning
// epoch's training samples/s as JSON.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_FASHION_MNIST_DIR, openData } from '@shrinkray/datasets';
import { initBackend, tfl } from '@shrinkray/tensor-core';
import { buildModel } from '../../../tooling/bench/lib/models.js';
import { prune } from '../dist/index.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '6144' }, 'resnet-rows': { type: 'string', default: '1024' } } });
const info = await initBackend();
const spec = existsSync(DEFAULT_FASHION_MNIST_DIR) ? `fashion-mnist:${DEFAULT_FASHION_MNIST_DIR}` : 'mnist';
const { train } = await openData(spec);
const first = (n) => train.subset(Int32Array.from({ length: Math.min(n, train.size) }, (_, i) => i));

const runs = [];
for (const [name, model, rows, options] of [
  ['prune + fine-tune small CNN (unstructured 50%)', 'cnn', Number(values.rows), {}],
  ['prune + fine-tune ResNet-style (structured 50%)', 'resnet', Number(values['resnet-rows']), { structured: true }],
]) {
  const data = first(rows);
  const dense = buildModel(tfl, model);
  let warm = Number.NaN;
  const result = await prune({
    model: dense,
    data: { train: data },
    sparsity: 0.5,
    seed: 1,
    finetune: { epochs: 2, batchSize: 128 },
    ...options,
    onEvent: (e) => {
      if (e.type === 'train' && e.event.type === 'epoch-end') warm = e.event.samplesPerSecond;
    },
  });
  result.model.dispose();
  dense.dispose();
  runs.push({ name, settings: `${spec.split(':')[0]}, ${data.size} rows, batch 128, Adam 1e-3; fine-tuning epoch 2 of 2`, samplesPerSecond: warm });
}
process.stdout.write(`${JSON.stringify({ backend: info.backend, ortKernels: info.ortKernels ?? [], ortReason: info.ortReason, runs })}\n`);
