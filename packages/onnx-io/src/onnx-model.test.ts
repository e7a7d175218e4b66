import { DTypeError, ShapeMismatchError, Tensor } from '@shrinkray/tensor-core';
import { afterAll, describe, expect, it } from 'vitest';
import { attr } from './attributes.js';
import { benchmark } from './bench.js';
import { GraphBuilder } from './builder.js';
import { OnnxFormatError } from './errors/onnx-format-error.js';
import { encodeOnnx } from './io.js';
import { OnnxModel } from './onnx-model.js';

// y = x·W + b, W = [[1,2,3],[4,5,6]], b = [0.5,-0.5,1]: hand-computable.
function linear(options: { softmax?: boolean; batch?: number | null; nchw?: boolean } = {}) {
  const b = new GraphBuilder('linear');
  const batch = options.batch === undefined ? null : options.batch;
  if (options.nchw) {
    b.input('x', 'float32', [batch, 2, 1, 1]);
    b.node('Flatten', ['x'], ['flat'], [attr.int('axis', 1)]);
  } else b.input('x', 'float32', [batch, 2]);
  b.initializer('W', new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  b.initializer('B', new Float32Array([0.5, -0.5, 1]), [3]);
  b.node('Gemm', [options.nchw ? 'flat' : 'x', 'W', 'B'], [options.softmax ? 'g' : 'y']);
  if (options.softmax) b.node('Softmax', ['g'], ['y'], [attr.int('axis', -1)]);
  b.output('y', 'float32', [batch, 3]);
  return encodeOnnx(b.build());
}

const x = Tensor.float32([2, 2], [1, 0, 2, -1]);
// Row 0: [1,2,3]+b = [1.5,1.5,4]; row 1: [2-4, 4-5, 6-6]+b = [-1.5,-1.5,1].
const expected = [1.5, 1.5, 4, -1.5, -1.5, 1];
const opened: OnnxModel[] = [];
afterAll(async () => {
  for (const m of opened) await m.dispose();
});
async function open(bytes: Uint8Array, options = {}) {
  const m = await OnnxModel.create(bytes, options);
  opened.push(m);
  return m;
}

describe('OnnxModel', () => {
  it('returns hand-computed logits and declares shape and classes', async () => {
    const model = await open(linear());
    expect(model.inputShape).toEqual([null, 2]);
    expect(model.numClasses).toBe(3);
    expect(model.outputKind).toBe('logits');
    const y = await model.predict(x);
    expect(y.shape).toEqual([2, 3]);
    for (const [i, v] of expected.entries()) expect(y.data[i]).toBeCloseTo(v, 5);
  });

  it('reads a final Softmax as probabilities and returns log p', async () => {
    const model = await open(linear({ softmax: true }));
    expect(model.outputKind).toBe('probabilities');
    const y = await model.predict(x);
    for (let r = 0; r < 2; r++) {
      const row = expected.slice(r * 3, r * 3 + 3);
      const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      for (let c = 0; c < 3; c++) expect(y.data[r * 3 + c]).toBeCloseTo(row[c]! - lse, 5);
    }
  });

  it('batches large inputs and handles a fixed batch dimension of 1', async () => {
    const rows = 7;
    const big = Tensor.zeros('float32', [rows, 2]);
    for (let i = 0; i < rows; i++) big.data.set([i, 1], i * 2);
    const free = await open(linear(), { maxBatchSize: 3 });
    const fixed = await open(linear({ batch: 1 }));
    expect(fixed.fixedBatch).toBe(1);
    const a = await free.predict(big);
    const b = await fixed.predict(big);
    expect(a.shape).toEqual([7, 3]);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    // Row i = [i, 1]: y = [i + 4.5, 2i + 4.5, 3i + 7].
    expect(a.data[6 * 3 + 2]).toBeCloseTo(25, 5);
  });

  it('adapts NHWC data to an NCHW model and rejects wrong dtype or shape before ORT', async () => {
    const model = await open(linear({ nchw: true }));
    expect(model.inputShape).toEqual([null, 2, 1, 1]);
    const nhwc = Tensor.float32([2, 1, 1, 2], [1, 0, 2, -1]);
    const y = await model.predict(nhwc);
    for (const [i, v] of expected.entries()) expect(y.data[i]).toBeCloseTo(v, 5);
    await expect(model.predict(Tensor.float32([2, 3], [1, 2, 3, 4, 5, 6]))).rejects.toSatisfy((e: unknown) => ShapeMismatchError.isInstance(e) && /\[\?,2,1,1\]/.test((e as Error).message));
    const ints = new Tensor('int32', [2, 2], new Int32Array(4));
    await expect(model.predict(ints as unknown as Tensor<'float32'>)).rejects.toSatisfy((e: unknown) => DTypeError.isInstance(e));
  });

  it('learns a symbolic class count by probing, and refuses non-float inputs and corrupt files', async () => {
    const b = new GraphBuilder('sym');
    b.input('x', 'float32', ['N', 2]);
    b.initializer('W', new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    b.node('MatMul', ['x', 'W'], ['y']);
    b.output('y', 'float32', ['N', 'classes']);
    const sym = await open(encodeOnnx(b.build()));
    expect(sym.numClasses).toBe(3);
    const ints = new GraphBuilder('ints');
    ints.input('x', 'int64', [null, 2]);
    ints.node('Identity', ['x'], ['y']);
    ints.output('y', 'int64', [null, 2]);
    await expect(OnnxModel.create(encodeOnnx(ints.build()), { name: 'ints.onnx' })).rejects.toSatisfy((e: unknown) => DTypeError.isInstance(e) && /ints\.onnx input 'x'/.test((e as Error).message));
    const bytes = linear();
    await expect(OnnxModel.create(bytes.subarray(0, bytes.length - 9), { name: 'cut.onnx' })).rejects.toSatisfy((e: unknown) => OnnxFormatError.isInstance(e) && (e as OnnxFormatError).file === 'cut.onnx');
    await expect(OnnxModel.create('/nonexistent/model.onnx')).rejects.toThrow(/model\.onnx: no such file/);
  });

  it('benchmarks at several batch sizes', async () => {
    const model = await open(linear());
    const events: number[] = [];
    const results = await benchmark(model, { batchSizes: [1, 64], iterations: 5, warmup: 1, onProgress: (e) => events.push(e.batch) });
    expect(results.map((r) => r.batch)).toEqual([1, 64]);
    for (const r of results) {
      expect(r.samplesPerSecond).toBeGreaterThan(0);
      expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
    }
    expect(events).toHaveLength(10);
  });
});
