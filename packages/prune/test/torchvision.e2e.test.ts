// torchvision resnet18(num_classes=10) and mobilenet_v2(num_classes=10), adapted to 1x28x28 and exported
// by Debian's PyTorch (bench/fixtures/make_arch_fixtures.py --export-only, untrained, seeded): the ONNX
// importer takes them, the group builder finds the groups counted by hand from torchvision's code, and
// 50% per group gives a model whose ONNX export passes Debian's checker and matches tfjs in ORT.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OnnxModel } from '@shrinkray/onnx-io';
import { Dataset, initBackend, Rng, Tensor, TfjsModel, type tfl } from '@shrinkray/tensor-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelForPruning, toOnnxBytes } from '../src/files.js';
import { buildGroups } from '../src/groups.js';
import { checkOnnx, python } from '../src/onnx-check.test.util.js';
import { prune } from '../src/prune.js';

const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bench/fixtures/make_arch_fixtures.py');
let dir: string;

beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(path.join(tmpdir(), 'prune-torchvision-'));
  execFileSync(python, [script, dir, '--export-only', '--threads', '1'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
}, 320_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function images(n: number): Tensor<'float32'> {
  const rng = new Rng(3);
  return new Tensor('float32', [n, 28, 28, 1], Float32Array.from({ length: n * 784 }, () => rng.next()));
}

async function maxDiff(onnx: Uint8Array, model: tfl.LayersModel, x: Tensor<'float32'>): Promise<number> {
  const ort = await OnnxModel.create(onnx, { name: model.name });
  try {
    const a = await ort.predict(x);
    const b = await new TfjsModel(model).predict(x);
    let m = 0;
    for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
    return m;
  } finally {
    await ort.dispose();
  }
}

/** Prunes 50% per group without fine-tuning; checks the export and MACs per layer against `ratio(layer)`. */
async function pruneHalf(model: tfl.LayersModel, ratio: (layer: string, className: string) => number): Promise<void> {
  const data = { train: Dataset.fromArrays(images(8), new Int32Array(8), { numClasses: 10 }) };
  const { model: small, report } = await prune({ model, data, sparsity: 0.5, structured: true, exportOnnx: false });
  for (const l of report.macs!.layers) expect(l.after * ratio(l.layer, l.className)).toBe(l.before);
  const bytes = await toOnnxBytes(small);
  expect(checkOnnx(bytes)).toBe('ok');
  expect(await maxDiff(bytes, small, images(4))).toBeLessThan(1e-3);
  expect(report.params.storedAfter / report.params.storedBefore).toBeGreaterThan(0.24);
  expect(report.params.storedAfter / report.params.storedBefore).toBeLessThan(0.27);
  small.dispose();
}

describe('torchvision models exported by PyTorch', () => {
  it('resnet18: imported; 12 groups pruned (4 residual streams of 3 producers), the classifier left; 50% per group is exact in ORT', async () => {
    const file = path.join(dir, 'resnet18.onnx');
    const model = await loadModelForPruning(file);
    expect(await maxDiff(readFileSync(file), model, images(4))).toBeLessThan(1e-3);
    const graph = buildGroups(model);
    expect(graph.unsupported).toEqual([]);
    const open = graph.groups.filter((g) => g.blockers.length === 0);
    // per stage: the residual stream (stem or downsample + the two blocks' conv2) and each block's conv1
    expect(open.map((g) => g.classes.length)).toEqual([64, 64, 64, 128, 128, 128, 256, 256, 256, 512, 512, 512]);
    expect(open.filter((g) => g.producers.length === 3).map((g) => g.producers)).toEqual([
      ['conv1_Conv', 'layer1_layer1_0_conv2_Conv', 'layer1_layer1_1_conv2_Conv'],
      ...[2, 3, 4].map((k) => [`layer${k}_layer${k}_0_conv2_Conv`, `layer${k}_layer${k}_0_downsample_downsample_0_Conv`, `layer${k}_layer${k}_1_conv2_Conv`]),
    ]);
    expect(graph.groups.filter((g) => g.blockers.length > 0).map((g) => g.producers)).toEqual([['fc_Gemm']]);
    // conv1 has 1 input channel and fc 10 outputs: they halve; every other conv loses half its inputs and outputs
    await pruneHalf(model, (layer) => (layer === 'conv1_Conv' || layer === 'fc_Gemm' ? 2 : 4));
  }, 300_000);

  it('mobilenet_v2: imported; 25 groups pruned (5 residual streams), depthwise convs ride with their expansion; exact in ORT', async () => {
    const file = path.join(dir, 'mobilenet_v2.onnx');
    const model = await loadModelForPruning(file);
    expect(await maxDiff(readFileSync(file), model, images(4))).toBeLessThan(1e-3);
    const graph = buildGroups(model);
    expect(graph.unsupported).toEqual([]);
    const open = graph.groups.filter((g) => g.blockers.length === 0);
    expect(open).toHaveLength(25);
    // inverted residual stages with repeats 2, 3, 4, 3, 3 (24, 32, 64, 96, 160 channels) share their stream
    expect(open.filter((g) => g.producers.length > 1).map((g) => [g.classes.length, g.producers.length])).toEqual([
      [24, 2],
      [32, 3],
      [64, 4],
      [96, 3],
      [160, 3],
    ]);
    // every depthwise conv is a channel member of exactly one group, with its producer (stem for block 1, else the expansion)
    const dws = model.layers.filter((l) => l.getClassName() === 'DepthwiseConv2D').map((l) => l.name);
    expect(dws).toHaveLength(17);
    for (const dw of dws) {
      const owners = open.filter((g) => g.members.some((m) => m.layer === dw && m.role === 'channel'));
      expect(owners).toHaveLength(1);
      expect(owners[0]!.producers).toHaveLength(1);
    }
    expect(graph.groups.filter((g) => g.blockers.length > 0).map((g) => g.producers)).toEqual([['classifier_classifier_1_Gemm']]);
    // depthwise MACs scale with the channels (1/2), like the stem (1 input) and the classifier (10 outputs)
    await pruneHalf(model, (layer, cls) => (cls === 'DepthwiseConv2D' || layer === 'classifier_classifier_1_Gemm' || layer === 'features_features_0_features_0_0_Conv' ? 2 : 4));
  }, 300_000);
});
