import { Rng, Tensor } from '@shrinkray/tensor-core';

/** Logits whose softmax is exactly the given probabilities (rows of `probabilities`). */
export function logitsOf(probabilities: readonly (readonly number[])[]): Tensor<'float32'> {
  const rows = probabilities.length;
  const cols = probabilities[0]!.length;
  return new Tensor('float32', [rows, cols], Float32Array.from(probabilities.flat().map((p) => Math.log(p))));
}

/**
 * Synthetic member outputs for `rows` examples of `classes` classes: member i is a noisy
 * classifier whose signal strength on class c is `strength(i, c)` (seeded).
 */
export function syntheticMembers(args: { rows: number; classes: number; members: number; seed: number; strength: (member: number, cls: number) => number }): { logits: Tensor<'float32'>[]; labels: Int32Array } {
  const rng = new Rng(args.seed);
  const labels = new Int32Array(args.rows);
  for (let k = 0; k < args.rows; k++) labels[k] = rng.int(args.classes);
  const logits: Tensor<'float32'>[] = [];
  for (let i = 0; i < args.members; i++) {
    const data = new Float32Array(args.rows * args.classes);
    for (let k = 0; k < args.rows; k++) {
      const y = labels[k]!;
      for (let c = 0; c < args.classes; c++) data[k * args.classes + c] = rng.normal() + (c === y ? args.strength(i, y) : 0);
    }
    logits.push(new Tensor('float32', [args.rows, args.classes], data));
  }
  return { logits, labels };
}
