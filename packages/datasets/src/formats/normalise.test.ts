import { ConfigError } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { channelLookup, channelNormaliser } from './normalise.js';

describe('channel normalisation', () => {
  it('subtracts mean and divides by std per channel (last axis), one value for every channel', () => {
    const data = Float32Array.of(1, 2, 3, 4, 5, 6);
    channelNormaliser([1, 2, 3], [2], 3, 'd')!(data);
    expect([...data]).toEqual([0, 0, 0, 1.5, 1.5, 1.5]);
    expect(channelNormaliser(undefined, undefined, 3, 'd')).toBeNull();
  });

  it('the lookup of 8-bit levels gives exactly what /255 then the normaliser gives', () => {
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const table = channelLookup(mean, std, 3, 'd');
    const levels = new Float32Array(256 * 3);
    for (let v = 0; v < 256; v++) for (let c = 0; c < 3; c++) levels[v * 3 + c] = v / 255;
    channelNormaliser(mean, std, 3, 'd')!(levels);
    for (let v = 0; v < 256; v++) for (let c = 0; c < 3; c++) expect(table[c * 256 + v]).toBe(levels[v * 3 + c]);
    const plain = channelLookup(undefined, undefined, 1, 'd');
    expect(plain[255]).toBe(1);
    expect(plain[128]).toBe(Math.fround(128 / 255));
  });

  it('refuses lists of the wrong length and non-positive std', () => {
    expect(() => channelNormaliser([0.5, 0.5], undefined, 3, 'photos')).toThrow('photos has 3 channels; give 1 or 3 values, got 2');
    let error: unknown;
    try {
      channelLookup(undefined, [1, 0, 1], 3, 'photos');
    } catch (e) {
      error = e;
    }
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('every std must be positive, got 1,0,1');
  });
});
