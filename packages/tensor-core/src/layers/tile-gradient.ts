import * as tf from '@tensorflow/tfjs-core';

/**
 * The gradient of `Tile` as one reshape + sum per tiled axis. tfjs' own gradient adds one slice of
 * `dy` per tile (`reps[0]·reps[1]·…` kernel calls): tfjs-layers' `LayerNormalization` tiles its
 * scale and offset to the input shape, so on `[32, 32, 16]` activations that is 1,024 slices and adds
 * per layer and step, which made a small transformer train ~20x slower than its arithmetic needs.
 * Same values (a sum of the tiled copies), any rank.
 */
function tileGradient(dy: tf.Tensor, x: tf.Tensor, reps: readonly number[]): tf.Tensor {
  let g = dy;
  const shape = [...dy.shape];
  for (let axis = 0; axis < x.rank; axis++) {
    const r = reps[axis]!;
    if (r === 1) continue;
    const size = x.shape[axis]!;
    const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    // Output index along `axis` is rep·size + j: reps are the outer part.
    g = tf.sum(tf.reshape(g, [outer, r, size, inner]), 1);
    shape[axis] = size;
    g = tf.reshape(g, shape);
  }
  return g;
}

/** Replaces tfjs' `Tile` gradient with {@link tileGradient} (process-wide, idempotent). */
export function registerTileGradient(): void {
  tf.registerGradient({
    kernelName: tf.Tile,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const { reps } = attrs as unknown as { reps: number[] };
      return { x: () => tileGradient(dy as tf.Tensor, x, reps) };
    },
  });
}

registerTileGradient();
