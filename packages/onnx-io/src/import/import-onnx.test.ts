import { initBackend, Rng, tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { attr } from '../attributes.js';
import { GraphBuilder } from '../builder.js';
import { UnsupportedOpError } from '../errors/unsupported-op-error.js';
import { exportTfjs } from '../export/export-tfjs.js';
import { encodeOnnx } from '../io.js';
import { checkOnnx } from '../onnx-checker.test.util.js';
import { floatsFromProto } from '../tensor-proto.js';
import { maxAbsDiff, nchwToNhwc, ortOutput, randomInput, randomizeWeights, tfjsOutput } from '../testing.test.util.js';
import type { ModelProto } from '../types.js';
import { importOnnx, opImporters } from './import-onnx.js';
import type { OpImporter } from './types.js';

beforeAll(async () => {
  await initBackend();
});


const parity: Record<string, number> = {};
const checked: Uint8Array[] = [];
const seq = (layers: tfl.layers.Layer[]) => tfl.sequential({ layers });
const ops = (m: ModelProto) => m.graph.node.map((n) => n.opType);
const weights = (m: ModelProto) => m.graph.initializer.map((t) => Array.from(floatsFromProto(t)));

async function roundTrip(label: string, model: tfl.LayersModel, inputShape: number[]): Promise<void> {
  randomizeWeights(model, 7);
  const x = randomInput([4, ...inputShape], 11);
  const first = await exportTfjs(model);
  const imported = await importOnnx(first);
  const ort = await ortOutput(first, x);
  const diff = maxAbsDiff(await tfjsOutput(imported, x), ort);
  parity[`roundtrip/${label}`] = diff;
  expect(diff, `${label}: imported tfjs vs ORT`).toBeLessThan(1e-4);
  const second = await exportTfjs(imported);
  // Identity (exported Dropout) is dropped on import; everything else is kept, weights bit-exact.
  expect(ops(second), label).toEqual(ops(first).filter((o) => o !== 'Identity'));
  expect(weights(second), label).toEqual(weights(first));
  const third = await exportTfjs(await importOnnx(second));
  expect(ops(third)).toEqual(ops(second));
  expect(weights(third)).toEqual(weights(second));
  checked.push(encodeOnnx(second));
}

describe('export -> import -> export', () => {
  it('MLP, CNN, depthwise + global pooling, reshape, functional add/concat: outputs match ORT, structure and weights stable', async () => {
    await roundTrip('MLP', seq([tfl.layers.dense({ inputShape: [20], units: 16, activation: 'relu' }), tfl.layers.dropout({ rate: 0.5 }), tfl.layers.dense({ units: 8, activation: 'tanh' }), tfl.layers.dense({ units: 4, activation: 'softmax' })]), [20]);
    await roundTrip(
      'CNN',
      seq([
        tfl.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
        tfl.layers.batchNormalization({}),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu6' }),
        tfl.layers.averagePooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 10, activation: 'sigmoid' }),
      ]),
      [12, 12, 1],
    );
    await roundTrip('Depthwise+GAP', seq([tfl.layers.depthwiseConv2d({ inputShape: [6, 6, 3], kernelSize: 3, depthMultiplier: 2, padding: 'same' }), tfl.layers.globalAveragePooling2d({}), tfl.layers.dense({ units: 3 })]), [6, 6, 3]);
    await roundTrip('Reshape', seq([tfl.layers.reshape({ inputShape: [32], targetShape: [4, 4, 2] }), tfl.layers.conv2d({ filters: 3, kernelSize: 2 }), tfl.layers.flatten(), tfl.layers.dense({ units: 2 })]), [32]);
    const input = tfl.input({ shape: [5, 5, 2] });
    const a = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'relu' }).apply(input) as tfl.SymbolicTensor;
    const cat = tfl.layers.concatenate().apply([tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor, b]) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 3 }).apply(tfl.layers.flatten().apply(cat)) as tfl.SymbolicTensor;
    await roundTrip('Add+Concat', tfl.model({ inputs: input, outputs: out }), [5, 5, 2]);
    expect(checkOnnx(checked)).toMatch(/^ok/);
  });
});

/** A PyTorch-style NCHW model built by hand, exercising the forms other exporters write. */
function foreignModel(): ModelProto {
  const rng = new Rng(3);
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * 0.5);
  const b = new GraphBuilder('foreign');
  b.input('x', 'float32', ['batch', 2, 8, 8]);
  b.initializer('c1.w', rand(4 * 2 * 3 * 3), [4, 2, 3, 3]);
  b.initializer('c1.b', rand(4), [4]);
  b.node('Conv', ['x', 'c1.w', 'c1.b'], ['c1'], [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 0, 1, 2]), attr.ints('strides', [1, 1])]);
  b.initializer('bn.s', rand(4), [4]);
  b.initializer('bn.b', rand(4), [4]);
  b.initializer('bn.m', rand(4), [4]);
  b.initializer('bn.v', Float32Array.from({ length: 4 }, () => 0.5 + rng.next()), [4]);
  b.node('BatchNormalization', ['c1', 'bn.s', 'bn.b', 'bn.m', 'bn.v'], ['bn'], [attr.float('epsilon', 1e-5)]);
  b.initializer('lo', new Float32Array([0]), []);
  b.initializer('hi', new Float32Array([6]), []);
  b.node('Clip', ['bn', 'lo', 'hi'], ['r6']);
  b.initializer('dw.w', rand(8 * 1 * 3 * 3), [8, 1, 3, 3]);
  b.node('Conv', ['r6', 'dw.w'], ['dw'], [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1]), attr.int('group', 4)]);
  b.node('MaxPool', ['dw'], ['mp'], [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])]);
  b.node('AveragePool', ['dw'], ['ap'], [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])]);
  b.node('Concat', ['mp', 'ap'], ['cat'], [attr.int('axis', 1)]);
  b.node('Relu', ['cat'], ['cr']);
  b.node('Flatten', ['cr'], ['flat'], [attr.int('axis', 1)]);
  b.initializer('fc.w', rand(5 * 16 * 4 * 4), [5, 16 * 4 * 4]);
  b.initializer('fc.b', rand(5), [5]);
  b.node('Gemm', ['flat', 'fc.w', 'fc.b'], ['fc'], [attr.int('transB', 1), attr.float('alpha', 0.5), attr.float('beta', 2)]);
  b.node('Tanh', ['fc'], ['t']);
  b.initializer('mm.w', rand(5 * 3), [5, 3]);
  b.initializer('mm.b', rand(3), [3]);
  b.node('MatMul', ['t', 'mm.w'], ['mm']);
  b.node('Add', ['mm', 'mm.b'], ['lin']);
  b.node('Identity', ['lin'], ['id']);
  b.node('Softmax', ['id'], ['y'], [attr.int('axis', 1)]);
  b.output('y', 'float32', ['batch', 3]);
  return b.build({ opset: 13 });
}

function gapModel(): ModelProto {
  const rng = new Rng(5);
  const b = new GraphBuilder('gap');
  b.input('x', 'float32', [null, 3, 4, 5]);
  b.initializer('w', Float32Array.from({ length: 6 * 3 }, () => rng.normal()), [6, 3, 1, 1]);
  b.node('Conv', ['x', 'w'], ['c'], [attr.ints('kernel_shape', [1, 1])]);
  b.node('Sigmoid', ['c'], ['s']);
  b.node('GlobalAveragePool', ['s'], ['g']);
  b.initializer('shape', new BigInt64Array([-1n, 6n]), [2]);
  b.node('Reshape', ['g', 'shape'], ['r']);
  b.node('Transpose', ['c'], ['ct'], [attr.ints('perm', [0, 2, 3, 1])]);
  b.initializer('shape2', new BigInt64Array([0n, -1n]), [2]);
  b.node('Reshape', ['ct', 'shape2'], ['cf']);
  b.node('Dropout', ['r'], ['rd']);
  b.node('Concat', ['rd', 'cf'], ['y'], [attr.int('axis', 1)]);
  b.output('y', 'float32', [null, 6 + 4 * 5 * 6]);
  return b.build();
}

describe('importOnnx of NCHW models', () => {
  it('takes Identity of an initializer (how PyTorch shares equal weights, e.g. zero biases of BN-folded convs) and matches ORT', async () => {
    const rng = new Rng(8);
    const b = new GraphBuilder('shared');
    b.input('x', 'float32', [null, 2, 5, 5]);
    b.initializer('w1', Float32Array.from({ length: 3 * 2 * 9 }, () => rng.normal()), [3, 2, 3, 3]);
    b.initializer('w2', Float32Array.from({ length: 3 * 3 * 9 }, () => rng.normal()), [3, 3, 3, 3]);
    b.initializer('bias', Float32Array.from([0.5, -1, 2]), [3]);
    b.node('Identity', ['bias'], ['bias_shared']);
    b.node('Conv', ['x', 'w1', 'bias'], ['c1'], [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])]);
    b.node('Conv', ['c1', 'w2', 'bias_shared'], ['y'], [attr.ints('kernel_shape', [3, 3])]);
    b.output('y', 'float32', [null, 3, 3, 3]);
    const model = b.build({ opset: 13 });
    const x = randomInput([2, 2, 5, 5], 9);
    const layers = await importOnnx(model);
    // the imported model keeps the ONNX output layout (NCHW)
    expect(maxAbsDiff(await tfjsOutput(layers, nchwToNhwc(x)), await ortOutput(model, x))).toBeLessThan(1e-4);
  });

  it('imports Conv (asymmetric pads, depthwise groups), BN, Clip, pools, Concat, Flatten, Gemm(transB, alpha, beta), MatMul+Add, Softmax and matches ORT', async () => {
    const model = foreignModel();
    const x = randomInput([3, 2, 8, 8], 21);
    const layers = await importOnnx(model);
    expect(layers.inputs[0]!.shape).toEqual([null, 8, 8, 2]);
    const diff = maxAbsDiff(await tfjsOutput(layers, nchwToNhwc(x)), await ortOutput(model, x));
    parity['import/foreign-nchw'] = diff;
    expect(diff).toBeLessThan(1e-4);
    const classes = layers.layers.map((l) => l.getClassName());
    expect(classes).toEqual(expect.arrayContaining(['ZeroPadding2D', 'DepthwiseConv2D', 'BatchNormalization', 'Concatenate', 'Flatten', 'Dense', 'Permute']));
    // The imported model exports again (ZeroPadding2D -> Pad, Permute -> Transpose), still agrees
    // with ORT on the original file, and that export imports again.
    const again = await exportTfjs(layers);
    expect(maxAbsDiff(await ortOutput(again, nchwToNhwc(x)), await ortOutput(model, x))).toBeLessThan(1e-4);
    const twice = await importOnnx(again);
    expect(maxAbsDiff(await tfjsOutput(twice, nchwToNhwc(x)), await ortOutput(model, x))).toBeLessThan(1e-4);
    checked.push(encodeOnnx(again));
  });

  it('imports GlobalAveragePool + Reshape, Dropout, Transpose and Reshape with 0 in the shape', async () => {
    const model = gapModel();
    const x = randomInput([2, 3, 4, 5], 4);
    const layers = await importOnnx(model);
    const diff = maxAbsDiff(await tfjsOutput(layers, nchwToNhwc(x)), await ortOutput(model, x));
    parity['import/gap-transpose-reshape'] = diff;
    expect(diff).toBeLessThan(1e-4);
  });

  it('names the op, the node and the supported ops for an unsupported op', async () => {
    const b = new GraphBuilder('bad');
    b.input('x', 'float32', [null, 4]);
    b.node('Relu', ['x'], ['r']);
    b.node('LpNormalization', ['r'], ['y'], [], 'norm_1');
    b.output('y', 'float32', [null, 4]);
    await expect(importOnnx(b.build())).rejects.toSatisfy(
      (e: unknown) => UnsupportedOpError.isInstance(e) && e.opType === 'LpNormalization' && e.node === 'norm_1' && /supported ops: .*Conv.*Gemm/.test((e as Error).message),
    );
  });

  it('the importer registry rejects a different importer under a taken op type', () => {
    const other: OpImporter = { opType: 'Relu', import: (ctx) => ctx.fail('never') };
    expect(() => opImporters.register('Relu', other)).toThrow(/already registered/);
    expect(opImporters.list()).toEqual(expect.arrayContaining(['Gemm', 'MatMul', 'Add', 'Conv', 'Flatten', 'Reshape', 'Relu', 'Sigmoid', 'Tanh', 'Clip', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'BatchNormalization', 'Softmax', 'Identity', 'Dropout', 'Transpose', 'Concat']));
  });

  it('reports parity figures and checks the re-exported foreign model', () => {
    console.log('PARITY', JSON.stringify(parity));
    expect(Object.keys(parity).length).toBeGreaterThanOrEqual(7);
    expect(checkOnnx(checked.slice(-1))).toMatch(/^ok/);
  });
});
