/**
 * A histogram of absolute values over `[0, top]` in `bins` equal bins, whose range grows as data
 * arrives: when a value exceeds `top`, the range doubles (adjacent bin pairs merge, which keeps every
 * count exact) until it fits. Also tracks the signed minimum and maximum.
 */
export class AbsHistogram {
  readonly counts: Float64Array;
  /** Upper edge of the last bin (0 until a non-zero value arrives). */
  top = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  total = 0;

  constructor(readonly bins: number) {
    this.counts = new Float64Array(bins);
  }

  /** Width of one bin. */
  get binWidth(): number {
    return this.top / this.bins;
  }

  add(values: ArrayLike<number>): void {
    let peak = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
      const a = Math.abs(v);
      if (a > peak) peak = a;
    }
    if (peak > this.top) this.grow(peak);
    const scale = this.top > 0 ? this.bins / this.top : 0;
    for (let i = 0; i < values.length; i++) {
      const bin = Math.min(this.bins - 1, Math.floor(Math.abs(values[i]!) * scale));
      this.counts[bin]! += 1;
    }
    this.total += values.length;
  }

  private grow(peak: number): void {
    if (this.top === 0) {
      this.top = peak;
      return;
    }
    while (this.top < peak) {
      for (let i = 0; i < this.bins / 2; i++) this.counts[i] = this.counts[2 * i]! + this.counts[2 * i + 1]!;
      this.counts.fill(0, this.bins / 2);
      this.top *= 2;
    }
  }

  /** The signed range `[max(min, -t), min(max, t)]` for a threshold `t` on absolute values. */
  clip(threshold: number): { min: number; max: number } {
    if (this.total === 0) return { min: 0, max: 0 };
    return { min: Math.max(this.min, -threshold), max: Math.min(this.max, threshold) };
  }
}
