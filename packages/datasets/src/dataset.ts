import { type Dataset, Rng, stratifiedCounts, Tensor } from '@shrinkray/tensor-core';

/** Number of labelled examples of each class, `counts[c]` for `c` in `[0, numClasses)` (unlabelled rows are not counted). */
export function classCounts(ds: Pick<Dataset, 'labels' | 'numClasses'>): Int32Array {
  const counts = new Int32Array(ds.numClasses);
  for (const c of ds.labels) if (c >= 0) counts[c]!++;
  return counts;
}

/**
 * A fixed, seeded, class-stratified hold-out: the examples are put in `Rng(seed)` order, then
 * `round(fraction·N)` of them (each class in proportion to its size, largest-remainder rounding,
 * chosen with a fresh `Rng(seed)`) go to `held`; both sides keep the shuffled order. Returns the
 * positions in `ds`, for `ds.subset`.
 */
export function seededHoldout(ds: Pick<Dataset, 'labels' | 'numClasses' | 'size'>, fraction: number, seed: number): { kept: Int32Array; held: Int32Array } {
  const order = new Rng(seed).permutation(ds.size);
  const labels = Int32Array.from(order, (i) => ds.labels[i]!);
  const held = stratifiedCounts(classCounts({ labels, numClasses: ds.numClasses }), fraction);
  const byClass: number[][] = Array.from({ length: ds.numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]!]!.push(i);
  const rng = new Rng(seed);
  const isHeld = new Uint8Array(labels.length);
  for (let c = 0; c < ds.numClasses; c++) {
    const members = rng.shuffle(byClass[c]!);
    for (let k = 0; k < held[c]!; k++) isHeld[members[k]!] = 1;
  }
  const kept: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < isHeld.length; i++) (isHeld[i] ? out : kept).push(order[i]!);
  return { kept: Int32Array.from(kept), held: Int32Array.from(out) };
}

/**
 * Converts uint8 images `[N, H, W]` or `[N, H, W, C]` to float32 NHWC in [0, 1] (divided by 255).
 */
export function imagesToFloat(bytes: Uint8Array, shape: readonly number[]): Tensor<'float32'> {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! / 255;
  const nhwc = shape.length === 3 ? [...shape, 1] : [...shape];
  return new Tensor('float32', nhwc, out);
}
