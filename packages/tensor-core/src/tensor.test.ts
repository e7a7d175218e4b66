import * as tf from '@tensorflow/tfjs-core';
import { Tensor as OrtTensor } from 'onnxruntime-common';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { DTypeError } from './errors/dtype-error.js';
import { ShapeMismatchError } from './errors/shape-mismatch-error.js';
import { formatShape, sizeOf, Tensor } from './tensor.js';

beforeAll(async () => {
  await initBackend();
});

describe('Tensor construction', () => {
  it('holds dtype, shape, data, size and rank', () => {
    const t = new Tensor('float32', [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6));
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([2, 3]);
    expect(Object.isFrozen(t.shape)).toBe(true);
    expect(t.size).toBe(6);
    expect(t.rank).toBe(2);
    expect(new Tensor('float32', [], Float32Array.of(5)).size).toBe(1);
  });

  it('rejects a data length that does not match the shape', () => {
    const make = () => new Tensor('float32', [2, 3], new Float32Array(5), 'weights');
    expect(make).toThrow(ShapeMismatchError);
    expect(make).toThrow('weights: expected 6 elements for shape [2,3], found 5 elements');
  });

  it('rejects negative or fractional dimensions', () => {
    expect(() => new Tensor('float32', [2, -1], new Float32Array(0), 'x')).toThrow('x: expected non-negative integer dimensions, found [2,-1] (axis 1 is -1)');
    expect(() => new Tensor('float32', [1.5], new Float32Array(1))).toThrow(ShapeMismatchError);
  });

  it('rejects a typed array of the wrong type for the dtype', () => {
    const make = () => new Tensor('int32', [2], new Float32Array(2) as unknown as Int32Array, 'labels');
    expect(make).toThrow(DTypeError);
    expect(make).toThrow('labels: expected dtype Int32Array for int32, found Float32Array');
    expect(() => new Tensor('int64', [1], new Int32Array(1) as unknown as BigInt64Array)).toThrow(DTypeError);
  });

  it('zeros, float32, reshape and sliceRows', () => {
    const z = Tensor.zeros('int64', [2, 2]);
    expect(z.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(z.data)).toEqual([0n, 0n, 0n, 0n]);
    const f = Tensor.float32([3, 2], [1, 2, 3, 4, 5, 6]);
    expect(f.reshape([2, 3]).shape).toEqual([2, 3]);
    expect(f.reshape([2, 3]).data).toBe(f.data);
    expect(() => f.reshape([4])).toThrow(ShapeMismatchError);
    const rows = f.sliceRows(1, 3);
    expect(rows.shape).toEqual([2, 2]);
    expect(Array.from(rows.data)).toEqual([3, 4, 5, 6]);
    // A view: same memory.
    rows.data[0] = 30;
    expect(f.data[2]).toBe(30);
    expect(f.sliceRows(2, 10).shape).toEqual([1, 2]);
    expect(f.sliceRows(5, 9).shape).toEqual([0, 2]);
  });

  it('sizeOf, formatShape and dtypeOf', () => {
    expect(sizeOf([2, 3, 4])).toBe(24);
    expect(sizeOf([])).toBe(1);
    expect(formatShape([null, 28, 'c'])).toBe('[?,28,c]');
    expect(Tensor.dtypeOf(new Float32Array(1))).toBe('float32');
    expect(Tensor.dtypeOf(new Int32Array(1))).toBe('int32');
    expect(Tensor.dtypeOf(new BigInt64Array(1))).toBe('int64');
    expect(Tensor.dtypeOf(new Uint8Array(1))).toBe('uint8');
  });
});

describe('tfjs round trips', () => {
  it('float32 and int32 keep values, shape and dtype', () => {
    const f = Tensor.float32([2, 2], [0.5, -1.25, 3e38, -0]);
    const tf32 = f.toTfjs();
    expect(tf32.dtype).toBe('float32');
    expect(tf32.shape).toEqual([2, 2]);
    const back = Tensor.fromTfjs(tf32);
    expect(back.dtype).toBe('float32');
    expect(Array.from(back.data as Float32Array)).toEqual(Array.from(f.data));
    const i = new Tensor('int32', [3], Int32Array.of(-2147483648, 0, 2147483647));
    const ti = i.toTfjs();
    expect(ti.dtype).toBe('int32');
    expect(Array.from(Tensor.fromTfjs(ti).data as Int32Array)).toEqual([-2147483648, 0, 2147483647]);
    tf.dispose([tf32, ti]);
  });

  it('bool stays bool; uint8 becomes int32 (tfjs has no uint8)', () => {
    const b = new Tensor('bool', [3], Uint8Array.of(1, 0, 1)).toTfjs();
    expect(b.dtype).toBe('bool');
    const bb = Tensor.fromTfjs(b);
    expect(bb.dtype).toBe('bool');
    expect(Array.from(bb.data as Uint8Array)).toEqual([1, 0, 1]);
    const u = new Tensor('uint8', [2], Uint8Array.of(0, 255)).toTfjs();
    expect(u.dtype).toBe('int32');
    expect(Array.from(u.dataSync())).toEqual([0, 255]);
    tf.dispose([b, u]);
  });

  it('int64 is narrowed to int32 when it fits, and refused when it does not', () => {
    const ok = new Tensor('int64', [3], BigInt64Array.of(-2147483648n, 7n, 2147483647n)).toTfjs();
    expect(ok.dtype).toBe('int32');
    expect(Array.from(ok.dataSync())).toEqual([-2147483648, 7, 2147483647]);
    ok.dispose();
    const before = tf.memory().numTensors;
    const big = () => new Tensor('int64', [2], BigInt64Array.of(1n, 2147483648n)).toTfjs();
    expect(big).toThrow(DTypeError);
    expect(big).toThrow(/int64 element 1 \(2147483648\)/);
    expect(() => new Tensor('int64', [1], BigInt64Array.of(-2147483649n)).toTfjs()).toThrow(DTypeError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fromTfjs copies: changing the result does not change the tfjs tensor', () => {
    const t = tf.tensor1d([1, 2, 3]);
    const s = Tensor.fromTfjs(t);
    s.data[0] = 99;
    expect(t.dataSync()[0]).toBe(1);
    t.dispose();
  });

  it('fromTfjs refuses dtypes shrinkray has no type for', () => {
    const c = tf.tensor1d(['a', 'b'], 'string');
    expect(() => Tensor.fromTfjs(c)).toThrow('tfjs tensor: expected dtype float32, int32 or bool, found string');
    c.dispose();
  });
});

describe('onnxruntime round trips', () => {
  it('every dtype goes to ORT and back over the same memory', () => {
    const cases = [
      new Tensor('float32', [2, 2], Float32Array.of(1, 2, 3, 4)),
      new Tensor('int32', [2], Int32Array.of(-1, 5)),
      new Tensor('int64', [2], BigInt64Array.of(-(2n ** 40n), 2n ** 40n)),
      new Tensor('uint8', [3], Uint8Array.of(0, 128, 255)),
      new Tensor('bool', [2], Uint8Array.of(1, 0)),
    ];
    for (const t of cases) {
      const ort = t.toOrt();
      expect(ort.type).toBe(t.dtype);
      expect(ort.dims).toEqual(t.shape);
      expect(ort.data).toBe(t.data);
      const back = Tensor.fromOrt(ort);
      expect(back.dtype).toBe(t.dtype);
      expect(back.shape).toEqual(t.shape);
      expect(back.data).toBe(t.data);
    }
  });

  it('ORT int64 -> shrinkray -> tfjs narrows to int32 (e.g. ONNX argmax output)', () => {
    const ort = new OrtTensor('int64', BigInt64Array.of(3n, 0n, 9n), [3]);
    const t = Tensor.fromOrt(ort).toTfjs();
    expect(t.dtype).toBe('int32');
    expect(Array.from(t.dataSync())).toEqual([3, 0, 9]);
    t.dispose();
  });

  it('tfjs -> shrinkray -> ORT keeps float32 values', () => {
    const t = tf.tensor2d([[0.1, 0.2], [0.3, 0.4]]);
    const ort = Tensor.fromTfjs(t).toOrt();
    expect(ort.type).toBe('float32');
    expect(ort.dims).toEqual([2, 2]);
    expect(Array.from(ort.data as Float32Array)).toEqual(Array.from(Float32Array.of(0.1, 0.2, 0.3, 0.4)));
    t.dispose();
  });

  it('fromOrt refuses ORT types shrinkray has no type for', () => {
    const f64 = new OrtTensor('float64', Float64Array.of(1), [1]);
    expect(() => Tensor.fromOrt(f64)).toThrow('onnxruntime tensor: expected dtype float32, int32, int64, uint8 or bool, found float64');
  });

  it('concatRows stacks rows and checks dtype and row shape', () => {
    const a = Tensor.float32([1, 2], [1, 2]);
    const b = Tensor.float32([2, 2], [3, 4, 5, 6]);
    const c = Tensor.concatRows([a, b]);
    expect(c.shape).toEqual([3, 2]);
    expect(Array.from(c.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => Tensor.concatRows([a, Tensor.float32([1, 3], [1, 2, 3])])).toThrow('concatRows part 1: expected [N,2], found [1,3]');
    expect(() => Tensor.concatRows([])).toThrow(/at least one tensor/);
  });
});
