import type { NpyDType } from './npy-header.js';

/** The IEEE 754 half-precision value of a 16-bit pattern. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * Decodes `count` elements of `dtype` from `bytes` (starting at element `from`) into `out` at
 * `outOffset`, divided by `divisor`. int64/uint64 values are converted to the nearest double.
 */
export function decodeElements(
  bytes: Uint8Array,
  dtype: NpyDType,
  littleEndian: boolean,
  from: number,
  count: number,
  out: Float32Array | Float64Array,
  outOffset: number,
  divisor = 1,
): void {
  if (dtype === 'uint8' || dtype === 'bool') {
    for (let i = 0; i < count; i++) out[outOffset + i] = bytes[from + i]! / divisor;
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = littleEndian;
  switch (dtype) {
    case 'int8':
      for (let i = 0; i < count; i++) out[outOffset + i] = view.getInt8(from + i) / divisor;
      return;
    case 'uint16':
      for (let i = 0; i < count; i++) out[outOffset + i] = view.getUint16(2 * (from + i), le) / divisor;
      return;
    case 'int16':
      for (let i = 0; i < count; i++) out[outOffset + i] = view.getInt16(2 * (from + i), le) / divisor;
      return;
    case 'uint32':
      for (let i = 0; i < count; i++) out[outOffset + i] = view.getUint32(4 * (from + i), le) / divisor;
      return;
    case 'int32':
      for (let i = 0; i < count; i++) out[outOffset + i] = view.getInt32(4 * (from + i), le) / divisor;
      return;
    case 'uint64':
      for (let i = 0; i < count; i++) out[outOffset + i] = Number(view.getBigUint64(8 * (from + i), le)) / divisor;
      return;
    case 'int64':
      for (let i = 0; i < count; i++) out[outOffset + i] = Number(view.getBigInt64(8 * (from + i), le)) / divisor;
      return;
    case 'float16':
      for (let i = 0; i < count; i++) out[outOffset + i] = halfToFloat(view.getUint16(2 * (from + i), le)) / divisor;
      return;
    case 'float32':
      for (let i = 0; i < count; i++) out[outOffset + i] = view.getFloat32(4 * (from + i), le) / divisor;
      return;
    case 'float64':
      for (let i = 0; i < count; i++) out[outOffset + i] = view.getFloat64(8 * (from + i), le) / divisor;
      return;
  }
}
