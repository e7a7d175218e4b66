import * as tf from '@tensorflow/tfjs-core';
import { WASM } from './wasm-backend.js';

/*
 * tfjs' Mean gradient fills a tensor of ones the size of x, multiplies the broadcast dy into it and
 * divides the result by the count: three passes over a whole activation (BatchNormalization's batch
 * statistics take it twice per layer). When the reduced axes are leading ones (batch statistics over
 * [0, 1, 2] of NHWC) dy/count is divided first (a per-channel vector) and tiled once, which the wasm
 * Tile fix writes as a repeated copy (`tile.ts`).
 */

/** Mean's gradient as a small division and one Tile on the wasm backend for leading reduced axes; `original` otherwise. */
export function makeMeanGradient(original: tf.GradConfig): tf.GradConfig {
  return {
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0];
      const grad = Array.isArray(dy) ? undefined : dy;
      if (!grad || !x || grad.dtype !== 'float32' || x.dtype !== 'float32' || tf.getBackend() !== WASM) return original.gradFunc(dy, saved, attrs);
      const axes = tf.util.parseAxisParam((attrs as unknown as tf.MeanAttrs).axis, x.shape);
      const sorted = [...axes].sort((a, b) => a - b);
      // Leading axes only (0..k-1): the tiled output is the per-channel block repeated end to end.
      if (sorted.length === 0 || sorted.some((a, i) => a !== i)) return original.gradFunc(dy, saved, attrs);
      const expanded = x.shape.map((d, i) => (sorted.includes(i) ? 1 : d));
      const reps = x.shape.map((d, i) => (sorted.includes(i) ? d : 1));
      const count = sorted.reduce((n, a) => n * x.shape[a]!, 1);
      return { x: () => tf.tidy(() => tf.tile(tf.reshape(tf.div(grad, tf.scalar(count)), expanded), reps)) };
    },
  };
}
