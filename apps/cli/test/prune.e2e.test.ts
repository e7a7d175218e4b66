import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist } from '@shrinkray/datasets';
import { initBackend, loadTfjsModel, saveTfjsModel, tf, tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { arrays } from './arrays.util.js';
import { shrinkray, tempDir } from './helpers.js';

const torchMlp = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/onnx-io/fixtures/torch-mlp.onnx');

let dir: string;
let modelJson: string;

interface PruneJson {
  before: { accuracy: number; params: number; onnxBytes: number };
  after: { accuracy: number; params: number; onnxBytes: number };
  sparsity: number;
  params: { before: number; after: number; storedBefore: number; storedAfter: number };
  layers: { layer: string; sparsity: number; units: { before: number; after: number } }[];
  files: string[];
}

beforeAll(async () => {
  await initBackend();
  dir = tempDir('shrinkray-prune-');
  const train = await arrays((await loadMnist()).train);
  const model = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [28, 28, 1] }),
      tfl.layers.dense({ units: 32, activation: 'relu', name: 'hidden', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: 10, name: 'logits', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  const x = train.x.sliceRows(0, 2000).toTfjs();
  const y = tf.oneHot(tf.tensor1d(train.y.subarray(0, 2000), 'int32'), 10);
  model.compile({ optimizer: tf.train.adam(0.01), loss: tf.losses.softmaxCrossEntropy });
  await model.fit(x, y, { epochs: 3, batchSize: 100, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  modelJson = (await saveTfjsModel(model, path.join(dir, 'dense')))[0]!;
});

function zerosOf(kernel: tf.Tensor): number {
  const d = kernel.dataSync();
  let n = 0;
  for (let i = 0; i < d.length; i++) if (d[i] === 0) n++;
  return n;
}

/** A stride-2 stem, one residual block (b1a relu, b1b linear, added to the stem), global pooling and a classifier. */
function residualCnn(): tfl.LayersModel {
  const input = tfl.input({ shape: [28, 28, 1] });
  const conv = (x: tfl.SymbolicTensor, name: string, strides: number, activation: 'relu' | 'linear', seed: number) =>
    tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides, padding: 'same', activation, name, kernelInitializer: tfl.initializers.glorotUniform({ seed }) }).apply(x) as tfl.SymbolicTensor;
  const stem = conv(input, 'stem', 2, 'relu', 1);
  const sum = tfl.layers.add({ name: 'b1add' }).apply([stem, conv(conv(stem, 'b1a', 1, 'relu', 2), 'b1b', 1, 'linear', 3)]) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(tfl.layers.activation({ activation: 'relu', name: 'b1relu' }).apply(sum)) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 10, name: 'logits' }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

describe('shrinkray prune', () => {
  it('unstructured: exact sparsity in the written tfjs model, and ORT on the written ONNX agrees with after.accuracy', async () => {
    const out = path.join(dir, 'sparse');
    const run = shrinkray(['prune', modelJson, '--data', 'mnist', '--sparsity', '0.8', '--finetune-epochs', '1', '--json', '--seed', '3', '-o', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as PruneJson;
    expect(r.files.map((f) => path.basename(f)).sort()).toEqual(['model.json', 'model.onnx', 'weights.bin']);
    expect(r.sparsity).toBe(Math.round(0.8 * 784 * 32) / (784 * 32));
    expect(r.before.accuracy).toBeGreaterThan(0.8);
    expect(r.after.accuracy).toBeGreaterThan(r.before.accuracy - 0.05);
    expect(r.params.before - r.params.after).toBe(Math.round(0.8 * 784 * 32));
    const pruned = await loadTfjsModel(path.join(out, 'model.json'));
    expect(zerosOf(pruned.getLayer('hidden').getWeights()[0]!)).toBe(Math.round(0.8 * 784 * 32));
    expect(zerosOf(pruned.getLayer('logits').getWeights()[0]!)).toBe(0); // output layer excluded by default
    const ort = shrinkray(['eval', path.join(out, 'model.onnx'), '--data', 'mnist', '--json']);
    expect(ort.code).toBe(0);
    expect((JSON.parse(ort.stdout) as { accuracy: number }).accuracy).toBeCloseTo(r.after.accuracy, 3);
  });

  it('structured on a PyTorch ONNX export: fewer units, smaller ONNX, ORT agrees', () => {
    const out = path.join(dir, 'torch-structured');
    const run = shrinkray(['prune', torchMlp, '--data', 'mnist', '--sparsity', '0.5', '--structured', '--finetune-epochs', '0', '--json', '-o', out]);
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as PruneJson;
    // torch-mlp: Linear(784, 32) + BatchNorm1d(32) + Linear(32, 10); half of the 32 units go
    expect(r.layers.map((l) => l.units)).toEqual([{ before: 32, after: 16 }]);
    expect(r.params.storedBefore - r.params.storedAfter).toBe(16 * 784 + 16 + 16 * 4 + 16 * 10);
    expect(r.after.onnxBytes).toBeLessThan(r.before.onnxBytes);
    const ort = shrinkray(['eval', path.join(out, 'model.onnx'), '--data', 'mnist', '--json']);
    expect((JSON.parse(ort.stdout) as { accuracy: number }).accuracy).toBeCloseTo(r.after.accuracy, 3);
  });

  it('resumed from a checkpoint, ends with the same weights as an uninterrupted run', () => {
    const args = (o: string, ck: string) => ['prune', modelJson, '--data', 'mnist', '--sparsity', '0.7', '--mode', 'soft-decay', '--finetune-epochs', '2', '--checkpoint-dir', ck, '--seed', '5', '--json', '-o', o];
    const a = shrinkray(args(path.join(dir, 'ra'), path.join(dir, 'cka')));
    expect(a.code).toBe(0);
    const ck = path.join(dir, 'ckb');
    const b1 = shrinkray(args(path.join(dir, 'rb1'), ck));
    expect(b1.code).toBe(0);
    // "kill" after epoch 1: drop everything epoch 2 wrote
    for (const f of readdirSync(ck)) if (/0002/.test(f)) rmSync(path.join(ck, f));
    const b2 = shrinkray([...args(path.join(dir, 'rb2'), ck), '--resume']);
    expect(b2.code).toBe(0);
    expect((JSON.parse(a.stdout) as { resumedFromEpoch: number | null }).resumedFromEpoch).toBeNull();
    expect((JSON.parse(b2.stdout) as { resumedFromEpoch: number | null }).resumedFromEpoch).toBe(1);
    expect(readFileSync(path.join(dir, 'rb2', 'weights.bin')).equals(readFileSync(path.join(dir, 'ra', 'weights.bin')))).toBe(true);
  });

  it('structured by dependency groups on a residual CNN: --round-to, --ignore, --steps, --recalibrate; --json macs and groups[]; inspect shows the MACs', async () => {
    const [residualJson] = await saveTfjsModel(residualCnn(), path.join(dir, 'residual'));
    const outDir = path.join(dir, 'residual-pruned');
    const run = shrinkray(['prune', residualJson!, '--data', 'mnist', '--sparsity', '0.5', '--structured', '--round-to', '4', '--ignore', 'b1a', '--steps', '2', '--recalibrate', '2', '--batch-size', '16', '--finetune-epochs', '0', '--json', '-o', outDir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as PruneJson & { macs: { before: number; after: number }; steps: number; groups: { producers: string[]; status: string; channels: { before: number; after: number }; removed: number }[] };
    const group = (layer: string) => r.groups.find((g) => g.producers.includes(layer))!;
    expect(group('stem')).toMatchObject({ producers: ['stem', 'b1b'], status: 'pruned', channels: { before: 8, after: 4 }, removed: 4 });
    expect(group('b1a')).toMatchObject({ status: 'ignored', channels: { before: 8, after: 8 } });
    expect(group('logits').status).toBe('blocked');
    expect(r.steps).toBe(2);
    // every layer that lost input or output channels (b1a keeps its own 8 filters but reads 4 channels)
    expect((r as unknown as { recalibration: { rows: number; layers: { layer: string }[] } }).recalibration).toMatchObject({ rows: 32, layers: [{ layer: 'stem' }, { layer: 'b1a' }, { layer: 'b1b' }, { layer: 'logits' }] });
    // by hand, 14×14 positions: stem 9·1·8, b1a and b1b 9·8·8, logits 8·10; after: the residual stream has 4 channels
    expect(r.macs.before).toBe(196 * (72 + 576 + 576) + 80);
    expect(r.macs.after).toBe(196 * (36 + 288 + 288) + 40);
    const inspected = JSON.parse(shrinkray(['inspect', path.join(outDir, 'model.onnx'), '--json']).stdout) as { macs: { total: number } };
    expect(inspected.macs.total).toBe(r.macs.after);
  });

  it('--reinsert-bn: fine-tunes with BatchNormalization after every convolution and writes the pruned structure (no BN layer), --json batchNorm', async () => {
    const [json] = await saveTfjsModel(residualCnn(), path.join(dir, 'residual-bn'));
    // a small npz (Keras keys) so that one fine-tuning epoch is quick
    const npz = path.join(dir, 'small.npz');
    execFileSync('/usr/bin/python3', ['-c', 'import sys, numpy as np\nr = np.random.default_rng(0)\nnp.savez(sys.argv[1], x_train=r.integers(0, 256, (128, 28, 28), dtype=np.uint8), y_train=r.integers(0, 10, 128).astype(np.uint8), x_test=r.integers(0, 256, (32, 28, 28), dtype=np.uint8), y_test=r.integers(0, 10, 32).astype(np.uint8))', npz]);
    const outDir = path.join(dir, 'residual-bn-pruned');
    const run = shrinkray(['prune', json!, '--data', `npz:${npz}`, '--sparsity', '0.5', '--structured', '--reinsert-bn', '--finetune-epochs', '1', '--batch-size', '32', '--json', '-o', outDir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as { batchNorm: { inserted: string[]; skipped: unknown[]; rows: number; init: string } };
    expect(r.batchNorm).toEqual({ inserted: ['stem', 'b1a', 'b1b'], skipped: [], rows: 128, init: 'identity' });
    const written = await loadTfjsModel(path.join(outDir, 'model.json'));
    expect(written.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Conv2D', 'Conv2D', 'Conv2D', 'Add', 'Activation', 'GlobalAveragePooling2D', 'Dense']);
    expect(written.getLayer('stem').getWeights()[0]!.shape).toEqual([3, 3, 1, 4]);
    written.dispose();
  });

  it('structured refusals come before the data is read: a blocked layer the user asked for names the node', async () => {
    const input = tfl.input({ shape: [28, 28, 1] });
    const a = tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, name: 'a' }).apply(input) as tfl.SymbolicTensor;
    const flat = tfl.layers.reshape({ targetShape: [13 * 13 * 4], name: 'squash' }).apply(a) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 10, name: 'logits' }).apply(flat) as tfl.SymbolicTensor;
    const [blockedJson] = await saveTfjsModel(tfl.model({ inputs: input, outputs: out }), path.join(dir, 'blocked'));
    const missing = path.join(dir, 'no-such-dir', 'x.idx');
    const run = shrinkray(['prune', blockedJson!, '--data', `idx:${missing},${missing},${missing},${missing}`, '--sparsity', '0.5', '--structured', '--layer-sparsity', 'a=0.5', '-o', path.join(dir, 'never')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/layer squash: cannot prune structurally: Reshape .*layer a \(group g0\) cannot be pruned/);
  });

  it.each([
    [['--sparsity', '1'], /--sparsity 1: expected a number in \[0, 1\)/, 2],
    [['--sparsity', '0.5', '--criterion', 'magic'], /unknown pruning criterion "magic"; registered: l1, l2, random, taylor/, 1],
    [['--sparsity', '0.999', '--structured', '--finetune-epochs', '0'], /layer hidden: sparsity 0\.999 would prune all 32 units/, 1],
    [['--sparsity', '0.5', '--exclude', 'nope'], /has no layer 'nope'/, 1],
    [['--sparsity', '0.5', '--max-length', '16'], /--tokenizer and --max-length apply to text data/, 2],
    [['--sparsity', '0.5', '--recalibrate', '4'], /--recalibrate need --structured/, 2],
    [['--sparsity', '0.5', '--structured', '--recalibrate', '0'], /--recalibrate 0: expected a positive integer/, 2],
    [['--sparsity', '0.5', '--reinsert-bn'], /--reinsert-bn needs --structured/, 2],
    [['--sparsity', '0.5', '--structured', '--reinsert-bn', 'sometimes', '--finetune-epochs', '1'], /--reinsert-bn: expected 'identity' or 'fresh', got 'sometimes'/, 2],
    [['--sparsity', '0.5', '--structured', '--reinsert-bn', '--finetune-epochs', '0'], /--reinsert-bn needs --finetune-epochs of at least 1/, 2],
  ])('bad input %j: one line on stderr, exit code, no output directory', (extra, message, code) => {
    const out = path.join(dir, `bad-${Math.random().toString(36).slice(2)}`);
    const run = shrinkray(['prune', modelJson, '--data', 'mnist', ...extra, '-o', out]);
    expect(run.code).toBe(code);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });
});
