import { describe, expect, it } from 'vitest';
import { loadOrt } from './native.js';
import { SessionCache } from './sessions.js';

describe('SessionCache', () => {
  it('keeps at most `limit` sessions, releasing the least recently used, and runs them', () => {
    const ort = loadOrt()!;
    const cache = new SessionCache(ort, 3);
    const graph = (n: number) => () => ({
      nodes: [{ op: 'Relu', inputs: ['X'], outputs: ['Y'] }],
      inputs: [{ name: 'X', shape: [n] }],
      outputs: [{ name: 'Y', shape: [n] }],
    });
    for (let n = 1; n <= 10; n++) cache.get(`relu${n}`, graph(n));
    cache.get('relu8', graph(8));
    expect(cache.stats()).toEqual({ live: 3, created: 10, released: 7, hits: 1 });
    const session = cache.get('relu10', graph(10));
    const x = Float32Array.from({ length: 10 }, (_, i) => i - 4.5);
    const y = new Float32Array(10);
    session.run({ X: ort.tensor(x, [10]) }, { Y: ort.tensor(y, [10]) }, {});
    expect([...y]).toEqual([...x].map((v) => Math.max(v, 0)));
    cache.clear();
    expect(cache.stats().live).toBe(0);
  });

  it('rejects a limit below 1', () => {
    expect(() => new SessionCache(loadOrt()!, 0)).toThrow(RangeError);
  });
});
