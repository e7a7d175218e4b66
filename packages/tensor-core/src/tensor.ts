import * as tf from '@tensorflow/tfjs-core';
import { Tensor as OrtTensor } from 'onnxruntime-common';
import { DTypeError } from './errors/dtype-error.js';
import { ShapeMismatchError } from './errors/shape-mismatch-error.js';

/** Element types shrinkray tensors hold. `int64` exists for ONNX (indices, shapes); tfjs has none. */
export type DType = 'float32' | 'int32' | 'int64' | 'uint8' | 'bool';

/** The typed array that stores each dtype. `bool` is one byte per element (0 or 1), as in ONNX and tfjs. */
export interface DataTypeMap {
  float32: Float32Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type TypedArrayFor<D extends DType> = DataTypeMap[D];
export type AnyTypedArray = DataTypeMap[DType];

const constructors = {
  float32: Float32Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  bool: Uint8Array,
} as const;

/** Number of elements of a shape; `[]` (a scalar) has one. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[2,3]` as the string `[2,3]`, for messages. */
export function formatShape(shape: readonly (number | string | null)[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

function dtypeOfArray(data: AnyTypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  return 'uint8';
}

/**
 * A dense tensor: dtype, shape and the typed array that holds its elements in row-major order.
 * Validated on construction: every dimension a non-negative integer and data length = product of shape.
 *
 * @example
 * const x = new Tensor('float32', [2, 3], new Float32Array(6));
 * const t = x.toTfjs(); // tf.Tensor, same values
 */
export class Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TypedArrayFor<D>;

  constructor(dtype: D, shape: readonly number[], data: TypedArrayFor<D>, name = 'tensor') {
    for (const [axis, d] of shape.entries()) {
      if (!Number.isInteger(d) || d < 0) {
        throw new ShapeMismatchError({
          tensor: name,
          expected: 'non-negative integer dimensions',
          found: formatShape(shape),
          detail: `axis ${axis} is ${d}`,
        });
      }
    }
    if (!(data instanceof constructors[dtype])) {
      throw new DTypeError({ tensor: name, expected: `${constructors[dtype].name} for ${dtype}`, found: data.constructor.name });
    }
    const expected = sizeOf(shape);
    if (data.length !== expected) {
      throw new ShapeMismatchError({
        tensor: name,
        expected: `${expected} elements for shape ${formatShape(shape)}`,
        found: `${data.length} elements`,
      });
    }
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  /** A zero-filled tensor. */
  static zeros<D extends DType>(dtype: D, shape: readonly number[]): Tensor<D> {
    return new Tensor(dtype, shape, new constructors[dtype](sizeOf(shape)) as TypedArrayFor<D>);
  }

  /** A float32 tensor from plain numbers (copied). */
  static float32(shape: readonly number[], values: ArrayLike<number>): Tensor<'float32'> {
    return new Tensor('float32', shape, Float32Array.from(values));
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Same data, new shape (no copy). */
  reshape(shape: readonly number[]): Tensor<D> {
    return new Tensor(this.dtype, shape, this.data);
  }

  /**
   * Rows `[start, end)` along axis 0, sharing memory with this tensor (a typed-array view).
   */
  sliceRows(start: number, end: number): Tensor<D> {
    const rows = this.shape[0] ?? 0;
    const lo = Math.max(0, Math.min(start, rows));
    const hi = Math.max(lo, Math.min(end, rows));
    const rowSize = rows === 0 ? 0 : this.size / rows;
    const view = this.data.subarray(lo * rowSize, hi * rowSize) as TypedArrayFor<D>;
    return new Tensor(this.dtype, [hi - lo, ...this.shape.slice(1)], view);
  }

  /**
   * Stacks tensors along axis 0 (rows) into one new tensor. All parts need the same dtype and the
   * same shape after axis 0.
   *
   * @example
   * Tensor.concatRows([a, b]) // a: [2,10], b: [3,10] -> [5,10]
   */
  static concatRows<D extends DType>(parts: readonly Tensor<D>[], name = 'concatRows'): Tensor<D> {
    const first = parts[0];
    if (!first) throw new ShapeMismatchError({ tensor: name, expected: 'at least one tensor', found: 'none' });
    const rowShape = first.shape.slice(1);
    let rows = 0;
    for (const [i, p] of parts.entries()) {
      if (p.dtype !== first.dtype) throw new DTypeError({ tensor: `${name} part ${i}`, expected: first.dtype, found: p.dtype });
      if (p.rank !== first.rank || p.shape.slice(1).some((d, j) => d !== rowShape[j])) {
        throw new ShapeMismatchError({ tensor: `${name} part ${i}`, expected: formatShape(['N', ...rowShape]), found: formatShape(p.shape) });
      }
      rows += p.shape[0] ?? 0;
    }
    const out = new constructors[first.dtype](rows * sizeOf(rowShape)) as TypedArrayFor<D>;
    let offset = 0;
    for (const p of parts) {
      (out as unknown as { set(a: ArrayLike<number | bigint>, o: number): void }).set(p.data as ArrayLike<number | bigint>, offset);
      offset += p.size;
    }
    return new Tensor(first.dtype, [rows, ...rowShape], out);
  }

  /**
   * A tfjs tensor with the same values. tfjs has no int64: int64 values are narrowed to int32
   * (a value outside the int32 range is an error). uint8 becomes int32 (tfjs has no uint8).
   */
  toTfjs(): tf.Tensor {
    switch (this.dtype) {
      case 'float32':
        return tf.tensor(this.data as Float32Array, [...this.shape], 'float32');
      case 'int32':
        return tf.tensor(this.data as Int32Array, [...this.shape], 'int32');
      case 'bool':
        return tf.tensor(this.data as Uint8Array, [...this.shape], 'bool');
      case 'uint8':
        return tf.tensor(Int32Array.from(this.data as Uint8Array), [...this.shape], 'int32');
      case 'int64': {
        const src = this.data as BigInt64Array;
        const out = new Int32Array(src.length);
        for (let i = 0; i < src.length; i++) {
          const v = src[i]!;
          if (v > 2147483647n || v < -2147483648n) {
            throw new DTypeError({ tensor: `int64 element ${i} (${v})`, expected: 'a value in int32 range for tfjs', found: 'out of range' });
          }
          out[i] = Number(v);
        }
        return tf.tensor(out, [...this.shape], 'int32');
      }
    }
    throw new DTypeError({ tensor: 'tensor', expected: 'a known dtype', found: String(this.dtype) });
  }

  /**
   * Reads a tfjs tensor's values (synchronously) into a shrinkray tensor. The values are copied: the
   * cpu backend's `dataSync` returns the tensor's own storage, which must not be shared.
   */
  static fromTfjs(t: tf.Tensor): Tensor {
    const shape = [...t.shape];
    switch (t.dtype) {
      case 'float32':
        return new Tensor('float32', shape, (t.dataSync() as Float32Array).slice());
      case 'int32':
        return new Tensor('int32', shape, (t.dataSync() as Int32Array).slice());
      case 'bool':
        return new Tensor('bool', shape, Uint8Array.from(t.dataSync() as ArrayLike<number>));
      default:
        throw new DTypeError({ tensor: 'tfjs tensor', expected: 'float32, int32 or bool', found: t.dtype });
    }
  }

  /** An onnxruntime tensor over the same memory (zero-copy). */
  toOrt(): OrtTensor {
    const type = this.dtype === 'uint8' ? 'uint8' : this.dtype;
    return new OrtTensor(type, this.data, [...this.shape]);
  }

  /** A shrinkray tensor over an onnxruntime tensor's memory (zero-copy). */
  static fromOrt(t: OrtTensor): Tensor {
    const shape = t.dims.map((d) => Number(d));
    switch (t.type) {
      case 'float32':
        return new Tensor('float32', shape, t.data as Float32Array);
      case 'int32':
        return new Tensor('int32', shape, t.data as Int32Array);
      case 'int64':
        return new Tensor('int64', shape, t.data as BigInt64Array);
      case 'uint8':
        return new Tensor('uint8', shape, t.data as Uint8Array);
      case 'bool':
        return new Tensor('bool', shape, t.data as Uint8Array);
      default:
        throw new DTypeError({ tensor: 'onnxruntime tensor', expected: 'float32, int32, int64, uint8 or bool', found: t.type });
    }
  }

  /** The dtype a typed array stores (`Uint8Array` is read as uint8). */
  static dtypeOf(data: AnyTypedArray): DType {
    return dtypeOfArray(data);
  }
}
