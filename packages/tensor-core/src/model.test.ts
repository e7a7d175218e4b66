import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { Dataset } from './data/dataset.js';
import { checkModelFitsData } from './data/predict.js';
import { DTypeError } from './errors/dtype-error.js';
import { ShapeMismatchError } from './errors/shape-mismatch-error.js';
import { TfjsModel } from './model.js';
import { softmax } from './numerics.js';
import { Rng } from './random.js';
import { Tensor } from './tensor.js';

beforeAll(async () => {
  await initBackend();
});

function net(activation: 'softmax' | 'linear'): tfl.LayersModel {
  const model = tfl.sequential({ name: `net_${activation}` });
  model.add(tfl.layers.dense({ inputShape: [12], units: 8, activation: 'tanh', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }));
  model.add(tfl.layers.dense({ units: 5, activation, kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }), biasInitializer: 'ones' }));
  return model;
}

function input(rows: number): Tensor<'float32'> {
  const rng = new Rng(1);
  return new Tensor('float32', [rows, 2, 2, 3], Float32Array.from({ length: rows * 12 }, () => rng.normal() * 2));
}

describe('TfjsModel', () => {
  it('a linear model: predict equals layersModel.predict on the adapted input', async () => {
    const layers = net('linear');
    const model = new TfjsModel(layers, 'student');
    expect(model.name).toBe('student');
    expect(model.inputShape).toEqual([null, 12]);
    expect(model.numClasses).toBe(5);
    expect(model.outputKind).toBe('logits');
    const x = input(7); // NHWC [7,2,2,3] -> flat [7,12]
    const logits = await model.predict(x);
    expect(logits.shape).toEqual([7, 5]);
    const ref = layers.predict(tf.tensor(x.data, [7, 12])) as tf.Tensor;
    expect(Array.from(logits.data)).toEqual(Array.from(ref.dataSync()));
    ref.dispose();
    model.dispose();
  });

  it('a softmax model: predict returns log-probabilities, and softmax of them is the model output', async () => {
    const layers = net('softmax');
    const model = new TfjsModel(layers);
    expect(model.outputKind).toBe('probabilities');
    expect(model.name).toBe('net_softmax');
    const x = input(6);
    const logp = await model.predict(x);
    const p = layers.predict(tf.tensor(x.data, [6, 12])) as tf.Tensor;
    const probs = p.dataSync();
    for (let i = 0; i < logp.size; i++) {
      expect(logp.data[i]!).toBeLessThanOrEqual(0);
      expect(logp.data[i]).toBeCloseTo(Math.log(probs[i]!), 5);
    }
    const back = softmax(logp);
    for (let i = 0; i < back.size; i++) expect(back.data[i]).toBeCloseTo(probs[i]!, 6);
    p.dispose();
    model.dispose();
  });

  it('predicts in chunks of batchSize with the same result and without leaking tensors', async () => {
    const model = new TfjsModel(net('linear'));
    const x = input(9);
    const whole = await model.predict(x);
    model.batchSize = 2;
    const before = tf.memory().numTensors;
    const chunked = await model.predict(x);
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < whole.size; i++) expect(chunked.data[i]).toBeCloseTo(whole.data[i]!, 6);
    model.dispose();
  });

  it('rejects models with several outputs or a non-[N,C] output', () => {
    const inp = tfl.input({ shape: [4] });
    const two = tfl.model({ inputs: inp, outputs: [tfl.layers.dense({ units: 2 }).apply(inp) as tfl.SymbolicTensor, tfl.layers.dense({ units: 3 }).apply(inp) as tfl.SymbolicTensor] });
    expect(() => new TfjsModel(two, 'two-heads')).toThrow('model two-heads: expected one input and one output, found 1 inputs, 2 outputs');
    const seq = tfl.input({ shape: [3, 4] });
    const rank3 = tfl.model({ inputs: seq, outputs: tfl.layers.dense({ units: 2 }).apply(seq) as tfl.SymbolicTensor });
    expect(() => new TfjsModel(rank3, 'seq')).toThrow(ShapeMismatchError);
    expect(() => new TfjsModel(rank3, 'seq')).toThrow('model seq output: expected [N, classes], found [?,3,2]');
    two.dispose();
    rank3.dispose();
  });

  it('predict names the model when the input cannot be adapted', async () => {
    const model = new TfjsModel(net('linear'), 'teacher');
    await expect(model.predict(new Tensor('float32', [2, 5], new Float32Array(10)))).rejects.toThrow(/^teacher input: expected model input \[\?,12\], found data \[2,5\]/);
    model.dispose();
  });
});

describe('input dtype: token ids given to a features model', () => {
  const ids = new Tensor('int32', [2, 12], Int32Array.from({ length: 24 }, (_, i) => i % 7));

  it('TfjsModel.predict refuses int32 ids for a float32 model with a DTypeError that says how to fix the data', async () => {
    const model = new TfjsModel(net('linear'), 'mlp');
    expect(model.inputDType).toBe('float32');
    const error = await model.predict(ids).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(DTypeError.isInstance(error)).toBe(true);
    expect((error as DTypeError).tensor).toBe('mlp input');
    expect((error as DTypeError).found).toMatch(/^int32 token ids .*save them as float32/);
  });

  it('checkModelFitsData refuses an int32 Dataset for a float32 model before any prediction, and accepts it for an int32 model', () => {
    const data = Dataset.fromArrays(ids, Int32Array.from([0, 1]), { numClasses: 5, name: 'ids.npy' });
    const features = new TfjsModel(net('linear'), 'mlp');
    expect(() => checkModelFitsData(features, data)).toThrow(/ids\.npy examples: expected dtype float32 features \(model mlp takes features, not token ids\), found int32 token ids/);
    const input = tfl.input({ shape: [12], dtype: 'int32' });
    const pooled = tfl.layers.globalAveragePooling1d().apply(tfl.layers.embedding({ inputDim: 7, outputDim: 4 }).apply(input) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
    const text = new TfjsModel(tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 5 }).apply(pooled) as tfl.SymbolicTensor }), 'text');
    expect(text.inputDType).toBe('int32');
    expect(() => checkModelFitsData(text, data)).not.toThrow();
    // A model that does not say what it takes is not refused (only the class count is checked).
    expect(() => checkModelFitsData({ name: 'external', numClasses: 5 }, data)).not.toThrow();
  });
});
