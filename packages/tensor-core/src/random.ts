import { ConfigError } from './errors/config-error.js';

/**
 * A small seeded pseudo-random generator (mulberry32 on a 32-bit state). The same seed gives the same
 * sequence on every machine; every random choice in shrinkray goes through one of these.
 *
 * @example
 * const rng = new Rng(42);
 * rng.shuffle(indices);
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new ConfigError('seed', `must be a finite number, got ${seed}`);
    this.state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** The generator's state, to save in a checkpoint. */
  getState(): number {
    return this.state;
  }

  /** Restores a state from `getState`. */
  setState(state: number): void {
    this.state = state >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Shuffles in place (Fisher–Yates) and returns the same array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  /** A fresh integer seed drawn from this generator (for seeding tfjs initialisers). */
  seed(): number {
    return this.int(2 ** 31);
  }
}
