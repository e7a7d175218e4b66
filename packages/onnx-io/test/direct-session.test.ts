import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, Tensor } from '@shrinkray/tensor-core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { directSession, encodeOnnx, GraphBuilder, OnnxFormatError, OnnxModel } from '../src/index.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

function images(n: number, seed: number): Tensor<'float32'> {
  const rng = new Rng(seed);
  const data = new Float32Array(n * 784);
  for (let i = 0; i < data.length; i++) data[i] = rng.next() * 2 - 1;
  return new Tensor('float32', [n, 28, 28, 1], data);
}

/** y = x·W + b with two outputs (y and relu(y)), W and b hand-set so the results are known exactly. */
function twoOutputModel(): Uint8Array {
  const g = new GraphBuilder('two_outputs');
  g.input('x', 'float32', ['N', 2]);
  g.initializer('W', new Float32Array([1, 2, -3, 0.5]), [2, 2]);
  g.initializer('b', new Float32Array([0.25, -1]), [2]);
  g.node('Gemm', ['x', 'W', 'b'], ['y']);
  g.node('Relu', ['y'], ['r']);
  g.output('y', 'float32', ['N', 2]);
  g.output('r', 'float32', ['N', 2]);
  return encodeOnnx(g.build());
}

describe('OnnxModel with lowLatency (direct native session)', () => {
  it('uses the native binding and gives exactly the public session outputs (PyTorch CNN and MLP fixtures)', async () => {
    for (const file of ['torch-cnn.onnx', 'torch-mlp.onnx']) {
      const x = images(700, 11);
      const pub = await OnnxModel.create(path.join(fixtures, file), { intraOpNumThreads: 1 });
      const direct = await OnnxModel.create(path.join(fixtures, file), { intraOpNumThreads: 1, lowLatency: true });
      try {
        expect(pub.session.kind).toBe('in-thread');
        expect(direct.session.kind).toBe('direct');
        expect(direct.numClasses).toBe(pub.numClasses);
        const expected = await pub.predict(x);
        const got = await direct.predict(x);
        expect(got.shape).toEqual([700, pub.numClasses]);
        expect(Array.from(got.data)).toEqual(Array.from(expected.data));
      } finally {
        await pub.dispose();
        await direct.dispose();
      }
    }
  });

  it('returns every output when no fetches are given, with hand-computed values', async () => {
    const session = directSession(twoOutputModel(), OnnxModel.sessionOptions({ intraOpNumThreads: 1 }));
    if (!session) throw new Error('onnxruntime-node binding not found');
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 1, 2, -4]), [2, 2]) });
    // row 1: [1·1 + 1·-3 + 0.25, 1·2 + 1·0.5 − 1] = [-1.75, 1.5]; row 2: [2 + 12 + 0.25, 4 − 2 − 1] = [14.25, 1]
    expect(Object.keys(out).sort()).toEqual(['r', 'y']);
    // The binding builds onnxruntime-common Tensors itself (initOrt hands it the class): no re-wrapping needed.
    expect(out.y).toBeInstanceOf(ort.Tensor);
    expect(Array.from((out.y as ort.Tensor).data as Float32Array)).toEqual([-1.75, 1.5, 14.25, 1]);
    expect(Array.from((out.r as ort.Tensor).data as Float32Array)).toEqual([0, 1.5, 14.25, 1]);
    expect((out.y as ort.Tensor).dims).toEqual([2, 2]);
    const onlyR = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 1]), [1, 2]) }, ['r']);
    expect(Object.keys(onlyR)).toEqual(['r']);
    await session.release();
    await expect(session.run({ x: new ort.Tensor('float32', new Float32Array(2), [1, 2]) })).rejects.toThrow(/released/);
    await session.release(); // a second release is harmless
  });

  it('a model ORT cannot load fails at create with the file named', async () => {
    const g = new GraphBuilder('bad');
    g.input('x', 'float32', ['N', 2]);
    g.node('NoSuchOperator', ['x'], ['y']);
    g.output('y', 'float32', ['N', 2]);
    const bytes = encodeOnnx(g.build());
    const error = await OnnxModel.create(bytes, { name: 'bad.onnx', lowLatency: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OnnxFormatError);
    expect(String(error)).toMatch(/bad\.onnx.*onnxruntime cannot load the model.*NoSuchOperator/);
  });
});
