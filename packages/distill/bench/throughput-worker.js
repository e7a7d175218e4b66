// One process of `pnpm bench distill-throughput` (see distill-throughput.bench.js): distils the distill
// bench's students for 2 epochs on the first rows of Fashion-MNIST (MNIST when absent) from fixed
// teacher logits and prints the second (warm) epoch's training samples/s as JSON.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_FASHION_MNIST_DIR, openData } from '@shrinkray/datasets';
import { initBackend, Rng, Tensor } from '@shrinkray/tensor-core';
import { distill } from '../dist/index.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '6144' } } });
const rows = Number(values.rows);
const info = await initBackend();
const spec = existsSync(DEFAULT_FASHION_MNIST_DIR) ? `fashion-mnist:${DEFAULT_FASHION_MNIST_DIR}` : 'mnist';
const { train } = await openData(spec);
const data = train.subset(Int32Array.from({ length: Math.min(rows, train.size) }, (_, i) => i));
// Fixed random teacher logits: throughput does not depend on the teacher, and no teacher runs per step.
const rng = new Rng(3);
const logits = Tensor.float32([data.size, 10], Array.from({ length: data.size * 10 }, () => 3 * rng.normal()));

const runs = [];
for (const [name, student] of [
  ['distill MLP 784-800-800-10', 'mlp:800,800'],
  ['distill CNN 8-16 conv + 32 dense', 'cnn:8,16/32'],
]) {
  let warm = Number.NaN;
  const { model } = await distill({
    teacher: { logits },
    student,
    data: { train: data },
    epochs: 2,
    batchSize: 128,
    seed: 1,
    onEvent: (e) => {
      if (e.type === 'train' && e.event.type === 'epoch-end') warm = e.event.samplesPerSecond;
    },
  });
  model.dispose();
  runs.push({ name, settings: `${spec.split(':')[0]}, ${data.size} rows, batch 128, Adam 1e-3, τ=4 α=0.7; epoch 2 of 2`, samplesPerSecond: warm });
}
process.stdout.write(`${JSON.stringify({ backend: info.backend, ortKernels: info.ortKernels ?? [], ortReason: info.ortReason, runs })}\n`);
