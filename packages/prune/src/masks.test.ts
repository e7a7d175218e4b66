import { Rng } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { InvalidSparsityError } from './errors/invalid-sparsity-error.js';
import { LayerEmptiedError } from './errors/layer-emptied-error.js';
import { selectMasks } from './masks.js';

const zeros = (m: Uint8Array) => m.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);

function randomScores(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return new Float32Array(n).map(() => rng.next());
}

describe('selectMasks', () => {
  it('layer scope prunes exactly round(s·n) lowest scores in every layer', () => {
    const layers = [
      { layer: 'a', scores: randomScores(1000, 1) },
      { layer: 'b', scores: randomScores(37, 2) },
    ];
    const masks = selectMasks(layers, 0.9, 'layer');
    expect(zeros(masks.get('a')!)).toBe(900);
    expect(zeros(masks.get('b')!)).toBe(33); // round(33.3)
    // every pruned score is below every kept one
    const a = layers[0]!.scores;
    const m = masks.get('a')!;
    const maxPruned = Math.max(...[...a].filter((_, i) => m[i] === 0));
    const minKept = Math.min(...[...a].filter((_, i) => m[i] === 1));
    expect(maxPruned).toBeLessThan(minKept);
  });

  it('global scope uses one threshold: exactly round(s·N) overall, lowest scores first', () => {
    const layers = [
      { layer: 'small', scores: Float32Array.from([0.1, 0.2, 0.3, 0.4, 9]) },
      { layer: 'large', scores: Float32Array.from([1, 2, 3, 4, 0.05, 5]) },
    ];
    // N = 11, round(5.5) = 6 lowest: 0.05, 0.1, 0.2, 0.3, 0.4, 1
    const masks = selectMasks(layers, 0.5, 'global');
    expect([...masks.get('small')!]).toEqual([0, 0, 0, 0, 1]);
    expect([...masks.get('large')!]).toEqual([0, 1, 1, 1, 0, 1]);
  });

  it('global scope throws when it would empty a layer; an override takes a layer out of the pool', () => {
    const small = { layer: 'small', scores: Float32Array.from([0.1, 0.2, 0.3, 0.4]) };
    const large = { layer: 'large', scores: Float32Array.from([1, 2, 3, 4, 0.05, 5]) };
    // N = 10: the 5 lowest are 0.05 and all four of small's
    expect(() => selectMasks([small, large], 0.5, 'global')).toThrow(LayerEmptiedError);
    expect(() => selectMasks([small, large], 0.5, 'global')).toThrow(/layer small: .* all 4 weights/);
    const masks = selectMasks([{ ...small, override: 0.25 }, large], 0.5, 'global');
    expect([...masks.get('small')!]).toEqual([0, 1, 1, 1]);
    expect([...masks.get('large')!]).toEqual([0, 0, 1, 1, 0, 1]);
  });

  it('rejects sparsity outside [0, 1) naming the layer', () => {
    const layers = [{ layer: 'fc1', scores: randomScores(10, 3), override: 1 }];
    expect(() => selectMasks(layers, 0.5, 'layer')).toThrow(InvalidSparsityError);
    expect(() => selectMasks(layers, 0.5, 'layer')).toThrow('layer fc1: sparsity must be in [0, 1), got 1');
    expect(() => selectMasks([{ layer: 'fc1', scores: randomScores(10, 3) }], -0.1, 'global')).toThrow('target: sparsity must be in [0, 1), got -0.1');
  });

  it('rejects pruning every unit of a layer', () => {
    const layers = [{ layer: 'tiny', scores: Float32Array.from([1, 2]) }];
    expect(() => selectMasks(layers, 0.8, 'layer', 'units')).toThrow(LayerEmptiedError);
    expect(() => selectMasks(layers, 0.8, 'layer', 'units')).toThrow('layer tiny: sparsity 0.8 would prune all 2 units; at least one must remain');
  });
});
