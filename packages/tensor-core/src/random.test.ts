import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors/config-error.js';
import { Rng } from './random.js';

describe('Rng', () => {
  it('matches an independent mulberry32 implementation', () => {
    // Python reference (Tommy Ettinger's mulberry32, state = seed ^ 0x9E3779B9), run with /usr/bin/python3:
    // seed 42 -> 0.4813160905614495, 0.9852536325342953, 0.7379171899519861, 0.6130663156509399
    const rng = new Rng(42);
    expect([rng.next(), rng.next(), rng.next(), rng.next()]).toEqual([0.4813160905614495, 0.9852536325342953, 0.7379171899519861, 0.6130663156509399]);
    const zero = new Rng(0);
    expect([zero.next(), zero.next()]).toEqual([0.3588899802416563, 0.10590326134115458]);
  });

  it('same seed, same sequence; another seed, another sequence', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const sa = Array.from({ length: 100 }, () => a.next());
    const sb = Array.from({ length: 100 }, () => b.next());
    const sc = Array.from({ length: 100 }, () => c.next());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    for (const v of sa) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });

  it('getState/setState replays the sequence from that point', () => {
    const rng = new Rng(3);
    rng.next();
    const state = rng.getState();
    const first = [rng.next(), rng.next(), rng.int(1000)];
    rng.setState(state);
    expect([rng.next(), rng.next(), rng.int(1000)]).toEqual(first);
  });

  it('int(n) stays in [0, n) and hits every value', () => {
    const rng = new Rng(5);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const v = rng.int(6);
      expect(Number.isInteger(v) && v >= 0 && v < 6).toBe(true);
      seen.add(v);
    }
    expect(seen.size).toBe(6);
  });

  it('permutation(n) contains each index exactly once and depends on the seed', () => {
    const p = new Rng(11).permutation(1000);
    expect(p).toBeInstanceOf(Int32Array);
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(p)).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(new Rng(11).permutation(1000))).toEqual(Array.from(p));
    expect(Array.from(new Rng(12).permutation(1000))).not.toEqual(Array.from(p));
    expect(Array.from(new Rng(1).permutation(0))).toEqual([]);
    expect(Array.from(new Rng(1).permutation(1))).toEqual([0]);
  });

  it('shuffle permutes in place and returns the same array', () => {
    const items = ['a', 'b', 'c', 'd', 'e'];
    const out = new Rng(2).shuffle(items);
    expect(out).toBe(items);
    expect([...items].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('normal() has mean ≈ 0 and variance ≈ 1', () => {
    const rng = new Rng(9);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const v = rng.normal();
      sum += v;
      sq += v * v;
    }
    const mean = sum / n;
    // Standard error of the mean is 1/√20000 ≈ 0.007; of the variance ≈ √(2/20000) ≈ 0.01.
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sq / n - mean * mean - 1)).toBeLessThan(0.04);
  });

  it('seed() draws integers in [0, 2^31)', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 100; i++) {
      const s = rng.seed();
      expect(Number.isInteger(s) && s >= 0 && s < 2 ** 31).toBe(true);
    }
  });

  it('rejects a non-finite seed', () => {
    expect(() => new Rng(Number.NaN)).toThrow(ConfigError);
    expect(() => new Rng(Number.POSITIVE_INFINITY)).toThrow(/seed: must be a finite number, got Infinity/);
  });
});
