import { initBackend, PluginError, tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { UnsupportedLayerError } from '../errors/unsupported-layer-error.js';
import { encodeOnnx } from '../io.js';
import { checkOnnx } from '../onnx-checker.test.util.js';
import { maxAbsDiff, ortOutput, randomInput, randomizeWeights, tfjsOutput } from '../testing.test.util.js';
import { exportTfjs, layerExporters } from './export-tfjs.js';
import type { LayerExporter } from './types.js';

beforeAll(async () => {
  await initBackend();
});

const exported: Uint8Array[] = [];
export const parity: Record<string, number> = {};

async function check(label: string, model: tfl.LayersModel, inputShape: number[], seed = 1): Promise<number> {
  randomizeWeights(model, seed);
  const x = randomInput([3, ...inputShape], seed + 100);
  const onnx = await exportTfjs(model);
  const bytes = encodeOnnx(onnx);
  exported.push(bytes);
  const diff = maxAbsDiff(await tfjsOutput(model, x), await ortOutput(bytes, x));
  parity[label] = diff;
  expect(diff, label).toBeLessThan(1e-4);
  return diff;
}

const seq = (layers: tfl.layers.Layer[]) => tfl.sequential({ layers });

describe('exportTfjs: tfjs and ORT agree within 1e-4 per layer', () => {
  it('Dense with each activation (linear, relu, relu6, sigmoid, tanh, softmax)', async () => {
    for (const activation of ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax'] as const) {
      await check(`Dense/${activation}`, seq([tfl.layers.dense({ inputShape: [6], units: 5, activation })]), [6]);
    }
    await check('Dense/no-bias', seq([tfl.layers.dense({ inputShape: [6], units: 4, useBias: false })]), [6]);
  });

  it('Activation layers and Dropout', async () => {
    await check(
      'Activation+Dropout',
      seq([
        tfl.layers.dense({ inputShape: [5], units: 6 }),
        tfl.layers.activation({ activation: 'relu6' }),
        tfl.layers.dropout({ rate: 0.5 }),
        tfl.layers.activation({ activation: 'tanh' }),
        tfl.layers.dense({ units: 3 }),
        tfl.layers.activation({ activation: 'softmax' }),
      ]),
      [5],
    );
  });

  it('Conv2D: valid/same padding, strides, dilation, no bias; Flatten after conv keeps NHWC order', async () => {
    await check('Conv2D/valid', seq([tfl.layers.conv2d({ inputShape: [7, 6, 3], filters: 4, kernelSize: 3, activation: 'relu' }), tfl.layers.flatten()]), [7, 6, 3]);
    await check('Conv2D/same-stride2', seq([tfl.layers.conv2d({ inputShape: [7, 6, 2], filters: 3, kernelSize: [3, 2], strides: 2, padding: 'same' }), tfl.layers.flatten()]), [7, 6, 2]);
    await check('Conv2D/dilated-nobias', seq([tfl.layers.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same', useBias: false, activation: 'relu6' }), tfl.layers.flatten()]), [8, 8, 2]);
  });

  it('DepthwiseConv2D with a depth multiplier', async () => {
    await check('DepthwiseConv2D', seq([tfl.layers.depthwiseConv2d({ inputShape: [6, 6, 3], kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'sigmoid' }), tfl.layers.flatten()]), [6, 6, 3]);
  });

  it('MaxPooling2D, AveragePooling2D (valid and same on odd sizes), GlobalAveragePooling2D', async () => {
    await check('MaxPooling2D/valid', seq([tfl.layers.maxPooling2d({ inputShape: [7, 7, 2], poolSize: 2 }), tfl.layers.flatten()]), [7, 7, 2]);
    await check('MaxPooling2D/same', seq([tfl.layers.maxPooling2d({ inputShape: [7, 5, 2], poolSize: 3, strides: 2, padding: 'same' }), tfl.layers.flatten()]), [7, 5, 2]);
    await check('AveragePooling2D/same', seq([tfl.layers.averagePooling2d({ inputShape: [7, 5, 3], poolSize: 2, padding: 'same' }), tfl.layers.flatten()]), [7, 5, 3]);
    await check('AveragePooling2D/valid', seq([tfl.layers.averagePooling2d({ inputShape: [6, 6, 1], poolSize: 3, strides: 1 }), tfl.layers.flatten()]), [6, 6, 1]);
    await check('GlobalAveragePooling2D', seq([tfl.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3 }), tfl.layers.globalAveragePooling2d({}), tfl.layers.dense({ units: 3 })]), [6, 6, 2]);
  });

  it('Reshape (flat -> image -> conv) and BatchNormalization on images and vectors', async () => {
    await check('Reshape', seq([tfl.layers.reshape({ inputShape: [48], targetShape: [4, 4, 3] }), tfl.layers.conv2d({ filters: 2, kernelSize: 2 }), tfl.layers.reshape({ targetShape: [18] })]), [48]);
    await check('BatchNormalization/4d', seq([tfl.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 2 }), tfl.layers.batchNormalization({}), tfl.layers.flatten()]), [5, 5, 2]);
    await check('BatchNormalization/2d', seq([tfl.layers.dense({ inputShape: [4], units: 5 }), tfl.layers.batchNormalization({ epsilon: 0.01 })]), [4]);
  });

  it('functional models with Add and Concatenate (NCHW and flat)', async () => {
    const input = tfl.input({ shape: [6, 6, 2] });
    const a = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.conv2d({ filters: 3, kernelSize: 1 }).apply(input) as tfl.SymbolicTensor;
    const sum = tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor;
    const cat = tfl.layers.concatenate({ axis: -1 }).apply([sum, a]) as tfl.SymbolicTensor;
    const flat = tfl.layers.flatten().apply(cat) as tfl.SymbolicTensor;
    const d1 = tfl.layers.dense({ units: 4 }).apply(flat) as tfl.SymbolicTensor;
    const d2 = tfl.layers.dense({ units: 4, activation: 'relu' }).apply(flat) as tfl.SymbolicTensor;
    const out = tfl.layers.concatenate().apply([tfl.layers.add().apply([d1, d2]) as tfl.SymbolicTensor, d1]) as tfl.SymbolicTensor;
    await check('Add+Concatenate', tfl.model({ inputs: input, outputs: out }), [6, 6, 2]);
  });

  it('an MLP and a CNN end to end', async () => {
    await check('MLP', seq([tfl.layers.dense({ inputShape: [784], units: 64, activation: 'relu' }), tfl.layers.dropout({ rate: 0.2 }), tfl.layers.dense({ units: 32, activation: 'relu' }), tfl.layers.dense({ units: 10 })]), [784]);
    await check(
      'CNN',
      seq([
        tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
        tfl.layers.batchNormalization({}),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 32, activation: 'relu' }),
        tfl.layers.dropout({ rate: 0.3 }),
        tfl.layers.dense({ units: 10 }),
      ]),
      [28, 28, 1],
    );
  });

  it('every exported model passes onnx.checker.check_model(full_check=True)', () => {
    expect(exported.length).toBeGreaterThanOrEqual(20);
    console.log('PARITY', JSON.stringify(parity));
    expect(checkOnnx(exported)).toMatch(/^ok/);
  });

  it('keeps NHWC as the ONNX input and names unsupported layers', async () => {
    const onnx = await exportTfjs(seq([tfl.layers.conv2d({ inputShape: [5, 5, 1], filters: 2, kernelSize: 2 }), tfl.layers.flatten()]));
    expect(onnx.graph.input[0]!.type?.tensorType?.shape?.dim?.map((d) => d.dimValue ?? d.dimParam)).toEqual(['N', 5, 5, 1]);
    expect(onnx.graph.node.map((n) => n.opType)).toEqual(['Transpose', 'Conv', 'Transpose', 'Flatten']);
    const bad = seq([tfl.layers.dense({ inputShape: [3], units: 2 }), tfl.layers.leakyReLU({})]);
    await expect(exportTfjs(bad)).rejects.toSatisfy((e: unknown) => UnsupportedLayerError.isInstance(e) && /LeakyReLU/.test((e as Error).message) && /Conv2D/.test((e as Error).message));
    await expect(exportTfjs(seq([tfl.layers.dense({ inputShape: [3], units: 2, activation: 'elu' })]))).rejects.toThrow(/activation 'elu' is not supported/);
  });

  it('the exporter registry rejects a different exporter under a taken name and lists names', () => {
    const other: LayerExporter = { className: 'Dense', export: (ctx) => ctx.fail('never') };
    expect(() => layerExporters.register('Dense', other)).toThrow(PluginError);
    layerExporters.register('Dense', layerExporters.get('Dense'));
    expect(layerExporters.list()).toEqual(expect.arrayContaining(['Add', 'AveragePooling2D', 'BatchNormalization', 'Concatenate', 'Conv2D', 'Dense', 'DepthwiseConv2D', 'Flatten', 'GlobalAveragePooling2D', 'MaxPooling2D', 'Reshape', 'Dropout', 'Activation']));
    expect(() => layerExporters.get('Nope')).toThrow(/registered: .*Dense/);
  });
});
