/**
 * Linear int8 quantization arithmetic, as ONNX QuantizeLinear/DequantizeLinear define it:
 * `q = saturate(round_half_even(x / scale) + zeroPoint)`, `x' = (q - zeroPoint) * scale`.
 */

/** The integer range of a quantized type. */
export interface QRange {
  qmin: number;
  qmax: number;
}

/** Signed int8, full range. */
export const INT8: QRange = { qmin: -128, qmax: 127 };
/** Signed int8 restricted to [-127, 127], for symmetric weights (zero point 0, no lopsided -128). */
export const INT8_SYMMETRIC: QRange = { qmin: -127, qmax: 127 };

/** Scale and zero point of one tensor or one channel. */
export interface QParams {
  scale: number;
  zeroPoint: number;
}

/** Rounds half to even (ONNX QuantizeLinear's rounding). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Asymmetric parameters for the real range `[rmin, rmax]` (widened to include 0, so zero is exact):
 * `scale = (rmax - rmin) / (qmax - qmin)`, `zeroPoint = round(qmin - rmin / scale)`. A zero-width
 * range gets scale 1 (every value is 0 then).
 */
export function asymmetricParams(rmin: number, rmax: number, range: QRange = INT8): QParams {
  const lo = Math.min(rmin, 0);
  const hi = Math.max(rmax, 0);
  if (!(hi > lo)) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / (range.qmax - range.qmin));
  const zeroPoint = Math.max(range.qmin, Math.min(range.qmax, roundHalfEven(range.qmin - lo / scale)));
  return { scale, zeroPoint };
}

/** Symmetric parameters (zero point 0): `scale = max(|rmin|, |rmax|) / qmax`. */
export function symmetricParams(rmin: number, rmax: number, range: QRange = INT8_SYMMETRIC): QParams {
  const m = Math.max(Math.abs(rmin), Math.abs(rmax));
  if (!(m > 0)) return { scale: 1, zeroPoint: 0 };
  return { scale: Math.fround(m / range.qmax), zeroPoint: 0 };
}

/** Quantizes one value. */
export function quantizeValue(x: number, p: QParams, range: QRange = INT8): number {
  return Math.max(range.qmin, Math.min(range.qmax, roundHalfEven(x / p.scale) + p.zeroPoint));
}

/** Dequantizes one value. */
export function dequantizeValue(q: number, p: QParams): number {
  return (q - p.zeroPoint) * p.scale;
}

/** Min and max of `values` (0, 0 when empty). */
export function minMax(values: ArrayLike<number>): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return values.length === 0 ? { min: 0, max: 0 } : { min, max };
}

/** A quantized weight: int8 values and one (per tensor) or several (per channel) scales. */
export interface QuantizedWeight {
  values: Int8Array;
  scales: Float32Array;
  /** The quantization axis, or undefined for per-tensor. */
  axis: number | undefined;
}

/**
 * Quantizes a float weight symmetrically to int8 ([-127, 127], zero point 0), per tensor or per
 * channel along `axis` of `dims` (one scale per index of that axis).
 */
export function quantizeWeight(values: Float32Array, dims: readonly number[], axis?: number): QuantizedWeight {
  const out = new Int8Array(values.length);
  if (axis === undefined) {
    const { min, max } = minMax(values);
    const p = symmetricParams(min, max);
    for (let i = 0; i < values.length; i++) out[i] = quantizeValue(values[i]!, p, INT8_SYMMETRIC);
    return { values: out, scales: Float32Array.of(p.scale), axis: undefined };
  }
  const channels = dims[axis] ?? 1;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let m = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * channels + c) * inner;
      for (let k = 0; k < inner; k++) m = Math.max(m, Math.abs(values[base + k]!));
    }
    const p = symmetricParams(-m, m);
    scales[c] = p.scale;
    for (let o = 0; o < outer; o++) {
      const base = (o * channels + c) * inner;
      for (let k = 0; k < inner; k++) out[base + k] = quantizeValue(values[base + k]!, p, INT8_SYMMETRIC);
    }
  }
  return { values: out, scales, axis };
}

/**
 * Quantizes a bias to int32 with `scale[c] = inputScale * weightScale[c]` and zero point 0, as
 * QLinearConv/QGemm expect. `weightScales` has one entry (per tensor) or one per output channel.
 */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array): { values: Int32Array; scales: Float32Array } {
  const values = new Int32Array(bias.length);
  const scales = new Float32Array(weightScales.length);
  for (let c = 0; c < weightScales.length; c++) scales[c] = Math.fround(inputScale * weightScales[c]!);
  for (let i = 0; i < bias.length; i++) {
    const s = scales[weightScales.length === 1 ? 0 : i]!;
    const q = roundHalfEven(bias[i]! / s);
    values[i] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, q));
  }
  return { values, scales };
}
