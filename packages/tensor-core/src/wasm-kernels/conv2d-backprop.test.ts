import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, onCpu, patched, randomData, tensorOf, tf, useWasm, withStockKernels } from './kit.test.shared.js';

beforeAll(useWasm);

type Pad = 'same' | 'valid' | number;
const cases: { name: string; x: number[]; filter: number[]; stride: number | [number, number]; pad: Pad }[] = [
  { name: '1 channel, 3x3 same', x: [2, 9, 9, 1], filter: [3, 3, 1, 4], stride: 1, pad: 'same' },
  { name: '5 channels, 3x3 valid', x: [2, 8, 7, 5], filter: [3, 3, 5, 6], stride: 1, pad: 'valid' },
  { name: '3 channels, 2x2 stride 2 valid', x: [3, 8, 8, 3], filter: [2, 2, 3, 4], stride: 2, pad: 'valid' },
  { name: '6 channels, 3x3 stride 2 same (odd size)', x: [2, 9, 7, 6], filter: [3, 3, 6, 5], stride: 2, pad: 'same' },
  { name: '4 channels, 5x3 stride [1,2], explicit pad 1', x: [2, 10, 9, 4], filter: [5, 3, 4, 3], stride: [1, 2], pad: 1 },
  { name: '2 channels, 1x1', x: [2, 5, 5, 2], filter: [1, 1, 2, 7], stride: 1, pad: 'valid' },
];

/** dy shape for conv2d(x, filter) with the given stride/pad. */
function dyShape(x: number[], filter: number[], stride: number | [number, number], pad: Pad): number[] {
  const info = tf.backend_util.computeConv2DInfo(x as [number, number, number, number], filter as [number, number, number, number], stride, 1, pad);
  return info.outShape;
}

describe('Conv2DBackpropFilter (added: tfjs-backend-wasm has none)', () => {
  it('is registered for wasm after the fixes are applied', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  for (const c of cases) {
    it(`${c.name}: equals the cpu backend, no leaks`, async () => {
      const x = randomData(c.x, 21);
      const dy = randomData(dyShape(c.x, c.filter, c.stride, c.pad), 22);
      const op = () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: tensorOf(x), dy: tensorOf(dy) }, {
          strides: c.stride,
          pad: c.pad,
          dataFormat: 'NHWC',
          filterShape: c.filter,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const got = patched(op);
      expect(got.length).toBe(c.filter.reduce((a, b) => a * b, 1));
      expectClose(got, await onCpu(op));
    });
  }

  it('NCHW input: equals the NHWC result transposed', () => {
    const x = randomData([2, 6, 6, 3], 31);
    const dy = randomData([2, 6, 6, 4], 32);
    const attrs = { strides: 1, pad: 'same', filterShape: [3, 3, 3, 4] };
    const nhwc = patched(
      () => tf.engine().runKernel('Conv2DBackpropFilter', { x: tensorOf(x), dy: tensorOf(dy) }, { ...attrs, dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap) as tf.Tensor,
    );
    const nchw = patched(
      () =>
        tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x: tf.transpose(tensorOf(x), [0, 3, 1, 2]), dy: tf.transpose(tensorOf(dy), [0, 3, 1, 2]) },
          { ...attrs, dataFormat: 'NCHW' } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor,
    );
    expectClose(nchw, nhwc);
  });

  it('hand-computed: 1x1 filter gradient is Σ x·dy', () => {
    // x = [1,2,3,4] (1x2x2x1), dy = [1,1,1,1]: dW = 10.
    const op = () =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]), dy: tf.ones([1, 2, 2, 1]) }, {
        strides: 1,
        pad: 'valid',
        dataFormat: 'NHWC',
        filterShape: [1, 1, 1, 1],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(Array.from(patched(op))).toEqual([10]);
  });
});

describe('Conv2DBackpropInput (patched)', () => {
  for (const c of cases) {
    it(`${c.name}: equals the stock wasm kernel and the cpu backend, no leaks`, async () => {
      const filter = randomData(c.filter, 41);
      const dy = randomData(dyShape(c.x, c.filter, c.stride, c.pad), 42);
      const op = () =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy: tensorOf(dy), filter: tensorOf(filter) }, {
          strides: c.stride,
          pad: c.pad,
          dataFormat: 'NHWC',
          inputShape: c.x,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const got = patched(op);
      expect(got.length).toBe(c.x.reduce((a, b) => a * b, 1));
      expectClose(got, withStockKernels(op));
      expectClose(got, await onCpu(op));
    });
  }
});

describe('Conv2D training step', () => {
  it('gradients of a conv → maxPool → dense loss equal the cpu backend', async () => {
    const x = randomData([4, 10, 10, 2], 51);
    const w1 = randomData([3, 3, 2, 6], 52);
    const w2 = randomData([5 * 5 * 6, 3], 53);
    const f = () => {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
        const h = tf.relu(tf.conv2d(tensorOf(x) as tf.Tensor4D, a as tf.Tensor4D, 1, 'same'));
        const p = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid');
        return tf.sum(tf.square(tf.matMul(tf.reshape(p, [4, -1]), b)));
      })([tensorOf(w1), tensorOf(w2)]);
      return tf.concat(grads.map((g) => tf.reshape(g, [-1])));
    };
    expectClose(patched(f), await onCpu(f));
  });
});

describe('tfjs-layers CNN training (Conv2D, MaxPooling2D, Dense; Adam)', () => {
  it('two optimizer steps give the same weights as the cpu backend (stock wasm cannot train Conv2D at all)', async () => {
    const x = randomData([8, 12, 12, 1], 91);
    const labels = Array.from({ length: 8 }, (_, i) => i % 3);
    const train = () => {
      const model = tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
          tfl.layers.maxPooling2d({ poolSize: 2 }),
          tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'valid', activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
        ],
      });
      const optimizer = tf.train.adam(0.01);
      const xs = tensorOf(x);
      const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 3);
      for (let i = 0; i < 2; i++) {
        optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs) as tf.Tensor) as tf.Scalar);
      }
      const weights = tf.concat(model.getWeights().map((w) => tf.reshape(w, [-1])));
      optimizer.dispose();
      model.dispose();
      return weights;
    };
    expectClose(patched(train), await onCpu(train));
  });
});
