import { describe, expect, it } from 'vitest';
import { ShapeMismatchError } from './errors/shape-mismatch-error.js';
import { adaptInput } from './layout.js';
import { Tensor } from './tensor.js';

/** A tensor whose value at each position is its flat index, so every move can be checked. */
function iota(shape: number[]): Tensor<'float32'> {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor('float32', shape, Float32Array.from({ length: n }, (_, i) => i));
}

describe('adaptInput', () => {
  it('returns the same tensor when the data already fits the declared shape', () => {
    const x = iota([2, 4, 4, 3]);
    expect(adaptInput(x, [null, 4, 4, 3])).toBe(x);
    expect(adaptInput(x, ['batch', 4, 4, 3])).toBe(x);
  });

  it('transposes NHWC images to NCHW, element by element', () => {
    const [n, h, w, c] = [2, 3, 4, 3];
    const x = iota([n, h, w, c]);
    const y = adaptInput(x, [null, c, h, w]);
    expect(y.shape).toEqual([n, c, h, w]);
    for (let b = 0; b < n; b++)
      for (let ch = 0; ch < c; ch++)
        for (let i = 0; i < h; i++)
          for (let j = 0; j < w; j++) {
            // out[b, ch, i, j] = in[b, i, j, ch]
            expect(y.data[((b * c + ch) * h + i) * w + j]).toBe(x.data[((b * h + i) * w + j) * c + ch]);
          }
  });

  it('transposes flat NHWC-ordered data to an NCHW model input', () => {
    const [n, h, w, c] = [2, 5, 6, 3];
    const x = iota([n, h * w * c]);
    const y = adaptInput(x, [null, c, h, w]);
    expect(y.shape).toEqual([n, c, h, w]);
    for (let b = 0; b < n; b++)
      for (let ch = 0; ch < c; ch++)
        for (let i = 0; i < h; i++)
          for (let j = 0; j < w; j++) expect(y.data[((b * c + ch) * h + i) * w + j]).toBe(x.data[((b * h + i) * w + j) * c + ch]);
  });

  it('single-channel images need only a reshape (same memory)', () => {
    const x = iota([3, 28, 28, 1]);
    const nchw = adaptInput(x, [null, 1, 28, 28]);
    expect(nchw.shape).toEqual([3, 1, 28, 28]);
    expect(nchw.data).toBe(x.data);
  });

  it('flattens images for a flat model and unflattens flat data for an image model', () => {
    const img = iota([2, 28, 28, 1]);
    const flat = adaptInput(img, [null, 784]);
    expect(flat.shape).toEqual([2, 784]);
    expect(flat.data).toBe(img.data);
    const back = adaptInput(iota([2, 784]), [null, 28, 28, 1]);
    expect(back.shape).toEqual([2, 28, 28, 1]);
    // Flat data for an NHWC colour model is a reshape (flat data is NHWC-ordered).
    const colour = adaptInput(iota([2, 32 * 32 * 3]), [null, 32, 32, 3]);
    expect(colour.shape).toEqual([2, 32, 32, 3]);
    expect(Array.from(colour.data.subarray(0, 6))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('symbolic dimensions: same rank passes through, a flat target is a reshape', () => {
    const x = iota([2, 4, 4, 1]);
    expect(adaptInput(x, ['N', 'C', 'H', 'W'])).toBe(x);
    expect(adaptInput(x, ['N', 'features']).shape).toEqual([2, 16]);
  });

  it('errors name the tensor and both shapes', () => {
    const wrongSize = () => adaptInput(iota([2, 10]), [null, 28, 28, 1], 'teacher input');
    expect(wrongSize).toThrow(ShapeMismatchError);
    expect(wrongSize).toThrow('teacher input: expected model input [?,28,28,1], found data [2,10] (10 values per example cannot fill [28,28,1])');
    // Same size, but neither an NHWC nor an NCHW view of [2,3,4]-images.
    expect(() => adaptInput(iota([1, 2, 3, 4]), [null, 4, 3, 2])).toThrow(/neither an NHWC nor an NCHW view/);
    // Flat data whose layout cannot be told (C and W both small).
    expect(() => adaptInput(iota([1, 3 * 8 * 3]), [null, 3, 8, 3])).toThrow(/flat data could be NHWC or NCHW/);
    expect(() => adaptInput(iota([1, 4, 6]), [null, 2, 3, 4])).toThrow(/data must be NHWC images or flat vectors/);
    expect(() => adaptInput(iota([1, 4, 4, 1]), ['N', 'C', 'H'])).toThrow(/symbolic dimensions/);
  });
});
