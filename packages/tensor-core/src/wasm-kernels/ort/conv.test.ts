import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, onCpu, patched, randomData, tensorOf, tf, useWasm } from '../kit.test.shared.js';
import { filterGradientMethod } from './conv.js';
import { kernelUsage } from './runtime.js';

beforeAll(useWasm);

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
const pads: Pad[] = [
  'same',
  'valid',
  [
    [0, 0],
    [1, 2],
    [2, 1],
    [0, 0],
  ],
];

function ortCalls(kernel: string): number {
  return kernelUsage()[kernel]?.ort ?? 0;
}

/** Runs kernel `name` directly on wasm (must go to ORT) and on the cpu backend; compares. */
async function check(name: string, inputs: Record<string, { shape: number[]; values: Float32Array }>, attrs: Record<string, unknown>, where: 'ort' | 'wasm' = 'ort'): Promise<void> {
  const op = () => {
    const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tensorOf(v)]));
    return tf.engine().runKernel(name, tensors, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  };
  const before = ortCalls(name);
  const got = patched(op);
  expect(ortCalls(name)).toBe(before + (where === 'ort' ? 1 : 0));
  expectClose(got, await onCpu(op));
}

function outSize(inSize: number, k: number, s: number, d: number, pad: Pad, axis: 1 | 2): number {
  const extent = d * (k - 1) + 1;
  if (pad === 'same') return Math.ceil(inSize / s);
  if (pad === 'valid') return Math.ceil((inSize - extent + 1) / s);
  const [lo, hi] = pad[axis];
  return Math.floor((inSize + lo + hi - extent) / s) + 1;
}

describe('ORT convolutions equal the cpu backend', () => {
  // At least ORT_CONV_MIN_CHANNELS in and out: narrower forward/input-gradient convolutions stay on wasm.
  // Batch 3 keeps every case above ORT_CONV_MIN_MACS (k=1, stride 2 at 20x20: 3·10·10·32·40 = 384,000) while the cpu reference stays quick.
  const [n, ci, co] = [3, 32, 40];
  const thin = 3; // below the im2col channel bound
  let seed = 100;
  for (const size of [20, 21]) {
    for (const k of [1, 3]) {
      for (const s of [1, 2]) {
        for (const pad of pads) {
          const padName = typeof pad === 'string' ? pad : 'explicit';
          const oh = outSize(size, k, s, 1, pad, 1);
          const ow = outSize(size, k, s, 1, pad, 2);
          it(`Conv2D / Conv2DBackpropInput / Conv2DBackpropFilter ${size}x${size}, k=${k}, stride ${s}, ${padName}`, async () => {
            const x = randomData([n, size, size, ci], seed++);
            const filter = randomData([k, k, ci, co], seed++);
            const dy = randomData([n, oh, ow, co], seed++);
            const common = { strides: [s, s], pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
            // 1x1 forward and input-gradient convolutions this narrow stay on wasm (ORT_POINTWISE_MIN_CHANNELS).
            const where = k === 1 ? 'wasm' : 'ort';
            await check(tf.Conv2D, { x, filter }, { ...common, dilations: [1, 1] }, where);
            await check(tf.Conv2DBackpropInput, { dy, filter }, { ...common, inputShape: [n, size, size, ci] }, where);
            await check(tf.Conv2DBackpropFilter, { x, dy }, { ...common, filterShape: [k, k, ci, co] });
          });
        }
      }
    }
    for (const k of [3, 5]) {
      for (const s of [1, 2]) {
        it(`Conv2DBackpropFilter with ${thin} input channels (im2col Gemm) ${size}x${size}, k=${k}, stride ${s}, every padding`, async () => {
          for (const pad of pads) {
            const x = randomData([4, size, size, thin], seed++);
            const dy = randomData([4, outSize(size, k, s, 1, pad, 1), outSize(size, k, s, 1, pad, 2), 32], seed++);
            await check(tf.Conv2DBackpropFilter, { x, dy }, { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: [k, k, thin, 32] });
          }
        });
      }
    }
    it(`Conv2D with dilation 2, ${size}x${size}`, async () => {
      const x = randomData([n, size, size, ci], seed++);
      const filter = randomData([3, 3, ci, co], seed++);
      for (const pad of pads) await check(tf.Conv2D, { x, filter }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [2, 2] });
    });
  }

  for (const s of [1, 2]) {
    it(`Conv2DBackpropFilter as per-tap products when the rows (5·oh·ow) split into 5 chunks, not 8: stride ${s}, every padding`, async () => {
      for (const pad of pads) {
        const x = randomData([5, 9, 9, 16], 61 + s);
        const dy = randomData([5, outSize(9, 3, s, 1, pad, 1), outSize(9, 3, s, 1, pad, 2), 24], 63 + s);
        await check(tf.Conv2DBackpropFilter, { x, dy }, { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: [3, 3, 16, 24] });
      }
    });
  }

  for (const s of [1, 2]) {
    it(`1x1 Conv2D / Conv2DBackpropInput with 128 channels run in ORT: stride ${s}, every padding`, async () => {
      for (const pad of pads) {
        const [size, c] = [9, 128];
        const x = randomData([1, size, size, c], 71 + s);
        const filter = randomData([1, 1, c, c], 73 + s);
        const dy = randomData([1, outSize(size, 1, s, 1, pad, 1), outSize(size, 1, s, 1, pad, 2), c], 75 + s);
        const common = { strides: [s, s], pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
        await check(tf.Conv2D, { x, filter }, { ...common, dilations: [1, 1] });
        await check(tf.Conv2DBackpropInput, { dy, filter }, { ...common, inputShape: [1, size, size, c] });
      }
    });
  }

  it('narrow strided input gradients (16 channels, 3x3, stride 2), and those to 1 input channel, run in ORT, every padding', async () => {
    for (const pad of pads) {
      const thinFilter = randomData([3, 3, 1, 16], 46);
      const thinDy = randomData([8, outSize(20, 3, 1, 1, pad, 1), outSize(20, 3, 1, 1, pad, 2), 16], 47);
      await check(tf.Conv2DBackpropInput, { dy: thinDy, filter: thinFilter }, { strides: [1, 1], pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: [8, 20, 20, 1] });
      const filter = randomData([3, 3, 16, 16], 44);
      const dy = randomData([8, outSize(20, 3, 2, 1, pad, 1), outSize(20, 3, 2, 1, pad, 2), 16], 45);
      await check(tf.Conv2DBackpropInput, { dy, filter }, { strides: [2, 2], pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: [8, 20, 20, 16] });
    }
  });

  // tfjs passes no dilation to Conv2DBackpropFilter (its conv2d gradient refuses dilated convolutions).
  for (const size of [30, 41]) {
    it(`Conv2DBackpropFilter as windows of a zero frame (stride 1, ${size}x${size}), every padding`, async () => {
      for (const pad of pads) {
        const [n2, c1, c2] = [2, 8, 12];
        const x = randomData([n2, size, size, c1], 81 + size);
        const dy = randomData([n2, outSize(size, 3, 1, 1, pad, 1), outSize(size, 3, 1, 1, pad, 2), c2], 83 + size);
        const attrs = { strides: [1, 1], pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [3, 3, c1, c2] };
        const info = tf.backend_util.computeConv2DInfo([n2, size, size, c1], [3, 3, c1, c2], 1, 1, pad, undefined);
        expect(filterGradientMethod(info)).toBe('shifts');
        await check(tf.Conv2DBackpropFilter, { x, dy }, attrs);
      }
    });
  }

  it('filter gradients of small images or strided convolutions take per-tap products, of few input channels an im2col Gemm', () => {
    const method = (h: number, ci: number, s: number) => filterGradientMethod(tf.backend_util.computeConv2DInfo([128, h, h, ci], [3, 3, ci, 64], s, 1, 'same'));
    expect(method(28, 16, 1)).toBe('shifts');
    expect(method(7, 64, 1)).toBe('taps');
    expect(method(28, 16, 2)).toBe('taps');
    expect(method(28, 3, 1)).toBe('im2col');
  });

  it('narrow forward and input-gradient convolutions (16 channels) stay on wasm; their filter gradient runs in ORT', async () => {
    const x = randomData([8, 20, 20, 16], 41);
    const filter = randomData([3, 3, 16, 16], 42);
    const dy = randomData([8, 20, 20, 16], 43);
    const common = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
    await check(tf.Conv2D, { x, filter }, { ...common, dilations: [1, 1] }, 'wasm');
    await check(tf.Conv2DBackpropInput, { dy, filter }, { ...common, inputShape: [8, 20, 20, 16] }, 'wasm');
    await check(tf.Conv2DBackpropFilter, { x, dy }, { ...common, filterShape: [3, 3, 16, 16] });
  });

  for (const activation of ['relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu', 'linear'] as const) {
    it(`_FusedConv2D / FusedDepthwiseConv2D with bias and ${activation}`, async () => {
      const x = randomData([n, 16, 16, ci], 31);
      const filter = randomData([3, 3, ci, co], 32);
      const dwFilter = randomData([3, 3, ci, 2], 33);
      const bias = randomData([co], 34);
      const alpha = randomData([co], 35);
      const conv = () =>
        tf.fused.conv2d({
          x: tensorOf(x) as tf.Tensor4D,
          filter: tensorOf(filter) as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          bias: tensorOf(bias),
          activation,
          ...(activation === 'prelu' ? { preluActivationWeights: tensorOf(alpha) } : {}),
          ...(activation === 'leakyrelu' ? { leakyreluAlpha: 0.3 } : {}),
        });
      const before = ortCalls(tf.FusedConv2D);
      const got = patched(conv);
      expect(ortCalls(tf.FusedConv2D)).toBe(before + 1);
      expectClose(got, await onCpu(conv));
      const dwBias = randomData([ci * 2], 36);
      const dwAlpha = randomData([ci * 2], 37);
      const dw = () =>
        tf.fused.depthwiseConv2d({
          x: tensorOf(x) as tf.Tensor4D,
          filter: tensorOf(dwFilter) as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          bias: tensorOf(dwBias),
          activation,
          ...(activation === 'prelu' ? { preluActivationWeights: tensorOf(dwAlpha) } : {}),
          ...(activation === 'leakyrelu' ? { leakyreluAlpha: 0.3 } : {}),
        });
      const dwBefore = ortCalls(tf.FusedDepthwiseConv2D);
      const dwGot = patched(dw);
      expect(ortCalls(tf.FusedDepthwiseConv2D)).toBe(dwBefore + 1);
      expectClose(dwGot, await onCpu(dw));
    });
  }

  for (const mult of [1, 2]) {
    for (const s of [1, 2]) {
      for (const d of [1, 2]) {
        for (const pad of pads) {
          const padName = typeof pad === 'string' ? pad : 'explicit';
          if (s > 1 && d > 1) continue; // tfjs: strides and dilations cannot both exceed 1
          it(`DepthwiseConv2dNative and its two gradients: multiplier ${mult}, stride ${s}, dilation ${d}, ${padName}`, async () => {
            const [dn, size, c, k] = [24, 21, 16, 3];
            const oh = outSize(size, k, s, d, pad, 1);
            const ow = outSize(size, k, s, d, pad, 2);
            const x = randomData([dn, size, size, c], seed++);
            const filter = randomData([k, k, c, mult], seed++);
            const dy = randomData([dn, oh, ow, c * mult], seed++);
            const common = { strides: [s, s], pad, dilations: [d, d], dimRoundingMode: undefined };
            await check(tf.DepthwiseConv2dNative, { x, filter }, { ...common, dataFormat: 'NHWC' });
            if (d === 1) {
              await check(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter }, { ...common, inputShape: [dn, size, size, c] });
              await check(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...common, filterShape: [k, k, c, mult] });
            } else {
              // tfjs computes no dilated depthwise gradients (its cpu kernels ignore the dilation), so
              // these are checked as adjoints of the cpu forward convolution F: <F(x, w), dy> equals
              // <x, dX(dy, w)> and <w, dW(x, dy)>.
              const forward = await onCpu(() => tf.mul(tf.depthwiseConv2d(tensorOf(x) as tf.Tensor4D, tensorOf(filter) as tf.Tensor4D, s, pad, 'NHWC', d), tensorOf(dy)));
              const reference = forward.reduce((a, b) => a + b, 0);
              const dot = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>, other: tf.Tensor) =>
                patched(() => tf.sum(tf.mul(tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor, other)))[0]!;
              const dx = dot(tf.DepthwiseConv2dNativeBackpropInput, { dy: tensorOf(dy), filter: tensorOf(filter) }, { ...common, inputShape: [dn, size, size, c] }, tensorOf(x));
              const dw = dot(tf.DepthwiseConv2dNativeBackpropFilter, { x: tensorOf(x), dy: tensorOf(dy) }, { ...common, filterShape: [k, k, c, mult] }, tensorOf(filter));
              expect(Math.abs(dx - reference) / Math.abs(reference)).toBeLessThan(1e-4);
              expect(Math.abs(dw - reference) / Math.abs(reference)).toBeLessThan(1e-4);
            }
          });
        }
      }
    }
  }

  it('gradients of a conv2d (through tf.grads) equal the cpu backend', async () => {
    const x = randomData([8, 14, 14, 16], 41);
    const filter = randomData([3, 3, 16, 32], 42);
    const f = () => {
      const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([tensorOf(x), tensorOf(filter)]);
      return tf.concat([tf.reshape(gx!, [-1]), tf.reshape(gf!, [-1])]);
    };
    expectClose(patched(f), await onCpu(f));
  });
});
