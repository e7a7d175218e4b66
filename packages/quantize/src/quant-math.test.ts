import { describe, expect, it } from 'vitest';
import { asymmetricParams, dequantizeValue, INT8, quantizeBias, quantizeValue, quantizeWeight, roundHalfEven, symmetricParams } from './quant-math.js';

describe('int8 quantization arithmetic', () => {
  it('rounds half to even like QuantizeLinear', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -3]);
  });

  it('asymmetric params of [0, 2.55]: scale 0.01, zero point -128 (hand-computed)', () => {
    const p = asymmetricParams(0, 2.55);
    expect(p.scale).toBeCloseTo(0.01, 7);
    expect(p.zeroPoint).toBe(-128);
    // 1.0 -> round(100) - 128 = -28; back to (-28 + 128) * 0.01 = 1.0
    expect(quantizeValue(1, p)).toBe(-28);
    expect(dequantizeValue(-28, p)).toBeCloseTo(1, 6);
  });

  it('asymmetric params of [-1, 3]: scale 4/255, zero point round(-128 + 63.75) = -64', () => {
    const p = asymmetricParams(-1, 3);
    expect(p.scale).toBeCloseTo(4 / 255, 7);
    expect(p.zeroPoint).toBe(-64);
  });

  it('a range that excludes 0 is widened to include it, so 0 is exact', () => {
    const p = asymmetricParams(0.5, 2);
    expect(p.scale).toBeCloseTo(2 / 255, 7);
    expect(p.zeroPoint).toBe(-128);
    expect(dequantizeValue(quantizeValue(0, p), p)).toBe(0);
  });

  it('quantize -> dequantize stays within half a step inside the range, saturates outside', () => {
    const values = [-1, -0.731, -0.2, 0, 0.013, 0.5, 1.7, 2.99, 3];
    const p = asymmetricParams(-1, 3);
    for (const v of values) expect(Math.abs(dequantizeValue(quantizeValue(v, p), p) - v)).toBeLessThanOrEqual(p.scale / 2 + 1e-7);
    expect(quantizeValue(10, p)).toBe(INT8.qmax);
    expect(quantizeValue(-10, p)).toBe(INT8.qmin);
  });

  it('symmetric params: scale max|x| / 127, zero point 0', () => {
    expect(symmetricParams(-2.54, 1)).toEqual({ scale: Math.fround(0.02), zeroPoint: 0 });
  });

  it('per-channel weights: one scale per output channel, hand-computed', () => {
    // [2, 3]: channel 0 max |x| = 1.27 -> scale 0.01; channel 1 max |x| = 0.254 -> scale 0.002
    const w = Float32Array.of(1.27, -0.5, 0.013, 0.254, -0.1, 0.001);
    const q = quantizeWeight(w, [2, 3], 0);
    expect(Array.from(q.scales)).toEqual([Math.fround(0.01), Math.fround(0.002)]);
    expect(Array.from(q.values)).toEqual([127, -50, 1, 127, -50, 0]); // 0.001/0.002 = 0.5 -> 0 (half to even)
    for (let i = 0; i < 6; i++) expect(Math.abs(q.values[i]! * q.scales[i < 3 ? 0 : 1]! - w[i]!)).toBeLessThanOrEqual(q.scales[i < 3 ? 0 : 1]! / 2 + 1e-8);
  });

  it('per-channel along axis 1 (Gemm weight [K, N]) and per tensor', () => {
    const w = Float32Array.of(1, -4, 0.5, 2); // [[1, -4], [0.5, 2]]
    const q = quantizeWeight(w, [2, 2], 1);
    expect(Array.from(q.scales)).toEqual([Math.fround(1 / 127), Math.fround(4 / 127)]);
    expect(Array.from(q.values)).toEqual([127, -127, 64, 64]); // 0.5*127 = 63.5 -> 64; 2/(4/127) = 63.5 -> 64
    const t = quantizeWeight(w, [2, 2]);
    expect(t.scales.length).toBe(1);
    expect(Array.from(t.values)).toEqual([32, -127, 16, 64]); // 127/4 = 31.75 -> 32, 15.875 -> 16, 63.5 -> 64
  });

  it('int32 bias with scale inputScale * weightScale', () => {
    const b = quantizeBias(Float32Array.of(0.5, -0.25), 0.1, Float32Array.of(0.01, 0.05));
    expect(b.scales[0]).toBeCloseTo(0.001, 9);
    expect(b.scales[1]).toBeCloseTo(0.005, 9);
    expect(Array.from(b.values)).toEqual([500, -50]);
  });
});
