import { Tensor } from '@shrinkray/tensor-core';
import { OnnxFormatError } from './errors/onnx-format-error.js';
import { OnnxTensorSizeError } from './errors/onnx-tensor-size-error.js';
import { DataType, type TensorProto } from './types.js';

/** Bytes per element of each fixed-width ONNX data type. */
const elementBytes: Record<number, number> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.UINT16]: 2,
  [DataType.INT16]: 2,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.FLOAT16]: 2,
  [DataType.DOUBLE]: 8,
  [DataType.UINT32]: 4,
  [DataType.UINT64]: 8,
  [DataType.COMPLEX64]: 8,
  [DataType.COMPLEX128]: 16,
  [DataType.BFLOAT16]: 2,
};

const dataTypeNames: Record<number, string> = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k]));

/** `FLOAT`, `INT64`, ... for messages. */
export function dataTypeName(code: number | undefined): string {
  return dataTypeNames[code ?? 0] ?? `unknown data type ${code}`;
}

/** Bytes per element of a data type, or undefined for strings and unknown codes. */
export function bytesPerElement(code: number): number | undefined {
  return elementBytes[code];
}

/** Limits applied when reading tensors from a file. */
export interface TensorLimits {
  /** Largest tensor accepted, in bytes (default 1 GiB). */
  maxTensorBytes: number;
}

export const defaultTensorLimits: TensorLimits = { maxTensorBytes: 2 ** 30 };

/**
 * Checks that a tensor's shape, type and stored data agree, and that it is not absurdly large,
 * without allocating anything for it. Throws `OnnxFormatError` / `OnnxTensorSizeError`.
 */
export function validateTensorProto(t: TensorProto, file: string, where: string, limits: TensorLimits = defaultTensorLimits): void {
  const name = t.name ? `${t.name}` : where;
  const dims = t.dims ?? [];
  let count = 1;
  for (const [axis, d] of dims.entries()) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new OnnxFormatError(file, `tensor '${name}' has invalid dimension ${d} at axis ${axis}`);
    }
    count *= d;
  }
  const code = t.dataType ?? 0;
  if (code === DataType.UNDEFINED) throw new OnnxFormatError(file, `tensor '${name}' has no data type`);
  if (code === DataType.STRING) {
    if ((t.stringData?.length ?? 0) !== count) throw new OnnxFormatError(file, `tensor '${name}' claims ${count} strings but holds ${t.stringData?.length ?? 0}`);
    return;
  }
  const size = elementBytes[code];
  if (size === undefined) throw new OnnxFormatError(file, `tensor '${name}' has unknown data type ${code}`);
  const claimed = count * size;
  if (claimed > limits.maxTensorBytes) {
    throw new OnnxTensorSizeError({
      file,
      tensor: name,
      claimedBytes: claimed,
      limitBytes: limits.maxTensorBytes,
      detail: `claims shape [${dims.join(',')}] of ${dataTypeName(code)} = ${claimed} bytes, over the limit of ${limits.maxTensorBytes} bytes`,
    });
  }
  if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0) {
    const location = t.externalData?.find((e) => e.key === 'location')?.value;
    throw new OnnxFormatError(file, `tensor '${name}' keeps its data in an external file${location === undefined ? '' : ` ("${location}")`}, which is not supported (nothing outside the model file is read)`);
  }
  const fields: [string, number | undefined, number][] = [
    ['raw_data', t.rawData?.length, claimed],
    ['float_data', t.floatData?.length, code === DataType.COMPLEX64 ? count * 2 : count],
    ['int32_data', t.int32Data?.length, count],
    ['int64_data', t.int64Data?.length, count],
    ['double_data', t.doubleData?.length, code === DataType.COMPLEX128 ? count * 2 : count],
    ['uint64_data', t.uint64Data?.length, count],
  ];
  const present = fields.filter(([, n]) => n !== undefined && n > 0);
  if (present.length === 0) {
    if (count !== 0) {
      throw new OnnxTensorSizeError({ file, tensor: name, claimedBytes: claimed, limitBytes: 0, detail: `claims shape [${dims.join(',')}] (${count} elements) but stores no data` });
    }
    return;
  }
  if (present.length > 1) throw new OnnxFormatError(file, `tensor '${name}' stores data in several fields (${present.map((p) => p[0]).join(', ')})`);
  const [field, found, expected] = present[0]!;
  if (found !== expected) {
    throw new OnnxTensorSizeError({
      file,
      tensor: name,
      claimedBytes: claimed,
      limitBytes: field === 'raw_data' ? (found ?? 0) : (found ?? 0) * size,
      detail: `claims shape [${dims.join(',')}] of ${dataTypeName(code)} (${field === 'raw_data' ? `${expected} bytes` : `${expected} values`}) but ${field} holds ${found}`,
    });
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function rawView(t: TensorProto): DataView | undefined {
  const raw = t.rawData;
  if (!raw || raw.length === 0) return undefined;
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

/**
 * Reads an initializer into a shrinkray `Tensor`: FLOAT, DOUBLE, FLOAT16 and BFLOAT16 become
 * float32; INT32/INT16/INT8/UINT16 become int32; INT64 stays int64; UINT8 and BOOL keep their
 * type. Call `validateTensorProto` first (loadOnnx does).
 */
export function tensorFromProto(t: TensorProto, file = '<model>'): Tensor {
  const dims = (t.dims ?? []).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const code = t.dataType ?? 0;
  const name = t.name ?? 'tensor';
  const view = rawView(t);
  switch (code) {
    case DataType.FLOAT:
    case DataType.DOUBLE:
    case DataType.FLOAT16:
    case DataType.BFLOAT16: {
      const out = new Float32Array(count);
      if (view) {
        for (let i = 0; i < count; i++) {
          if (code === DataType.FLOAT) out[i] = view.getFloat32(i * 4, true);
          else if (code === DataType.DOUBLE) out[i] = view.getFloat64(i * 8, true);
          else if (code === DataType.FLOAT16) out[i] = halfToFloat(view.getUint16(i * 2, true));
          else out[i] = new Float32Array(new Uint32Array([view.getUint16(i * 2, true) << 16]).buffer)[0]!;
        }
      } else {
        const src = code === DataType.DOUBLE ? t.doubleData : code === DataType.FLOAT ? t.floatData : t.int32Data;
        for (let i = 0; i < count; i++) {
          const v = src?.[i] ?? 0;
          if (code === DataType.FLOAT16) out[i] = halfToFloat(v);
          else if (code === DataType.BFLOAT16) out[i] = new Float32Array(new Uint32Array([v << 16]).buffer)[0]!;
          else out[i] = v;
        }
      }
      return new Tensor('float32', dims, out, name);
    }
    case DataType.INT32:
    case DataType.INT16:
    case DataType.INT8:
    case DataType.UINT16: {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        if (view) {
          if (code === DataType.INT32) out[i] = view.getInt32(i * 4, true);
          else if (code === DataType.INT16) out[i] = view.getInt16(i * 2, true);
          else if (code === DataType.INT8) out[i] = view.getInt8(i);
          else out[i] = view.getUint16(i * 2, true);
        } else out[i] = t.int32Data?.[i] ?? 0;
      }
      return new Tensor('int32', dims, out, name);
    }
    case DataType.INT64: {
      const out = new BigInt64Array(count);
      for (let i = 0; i < count; i++) out[i] = view ? view.getBigInt64(i * 8, true) : BigInt(Math.trunc(t.int64Data?.[i] ?? 0));
      return new Tensor('int64', dims, out, name);
    }
    case DataType.UINT8:
    case DataType.BOOL: {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = view ? view.getUint8(i) : (t.int32Data?.[i] ?? 0);
      return new Tensor(code === DataType.BOOL ? 'bool' : 'uint8', dims, out, name);
    }
    default:
      throw new OnnxFormatError(file, `tensor '${name}' has data type ${dataTypeName(code)}, which shrinkray cannot read`);
  }
}

/** Reads a float initializer as float32 values (any float or integer type is converted). */
export function floatsFromProto(t: TensorProto, file?: string): Float32Array {
  const tensor = tensorFromProto(t, file);
  if (tensor.dtype === 'float32') return tensor.data as Float32Array;
  const out = new Float32Array(tensor.size);
  for (let i = 0; i < tensor.size; i++) out[i] = Number(tensor.data[i]);
  return out;
}

/** Reads an integer initializer (e.g. a Reshape shape) as plain numbers. */
export function intsFromProto(t: TensorProto, file?: string): number[] {
  const tensor = tensorFromProto(t, file);
  return Array.from(tensor.data as ArrayLike<number | bigint>, (v) => Number(v));
}

const codeOf = { float32: DataType.FLOAT, int32: DataType.INT32, int64: DataType.INT64, uint8: DataType.UINT8, bool: DataType.BOOL } as const;

/** An initializer from a shrinkray tensor (stored little-endian in `raw_data`). */
export function tensorToProto(name: string, tensor: Tensor): TensorProto {
  const data = tensor.data;
  const bytes = new Uint8Array(data.byteLength);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return { name, dims: [...tensor.shape], dataType: codeOf[tensor.dtype], rawData: bytes };
}
