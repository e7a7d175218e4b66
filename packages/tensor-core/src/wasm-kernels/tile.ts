import type * as tf from '@tensorflow/tfjs-core';
import { heapF32, type KernelFunc, sizeOf, type WasmBackendLike } from './wasm-backend.js';

/*
 * BatchNormalization's gradient tiles per-channel vectors ([1,1,1,c]) to whole activations. When only
 * leading unit axes are repeated, the output is the input repeated end to end: written by doubling
 * `copyWithin` (memmove speed) instead of per-element index arithmetic (stock wasm) or an ORT call.
 */

/** `Tile` of float32 input whose repeated axes are all leading axes of size 1; `original` otherwise. */
export function makeTile(original: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackendLike;
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { reps } = args.attrs as unknown as tf.TileAttrs;
    const rank = x.shape.length;
    if (x.dtype !== 'float32' || reps.length !== rank || rank === 0) return original(args);
    // Axes up to the last repeated one must have size 1 in x: the output is then x repeated prod(reps) times.
    const lastRepeated = reps.reduce((last, r, i) => (r !== 1 ? i : last), -1);
    if (lastRepeated < 0 || x.shape.slice(0, lastRepeated + 1).some((d) => d !== 1)) return original(args);
    const size = sizeOf(x.shape);
    const outShape = x.shape.map((d, i) => d * reps[i]!);
    const total = sizeOf(outShape);
    if (size === 0 || total === 0) return original(args);
    const out = backend.makeOutput(outShape, 'float32');
    const y = heapF32(backend, out);
    y.set(heapF32(backend, x));
    for (let filled = size; filled < total; filled *= 2) y.copyWithin(filled, 0, Math.min(filled, total - filled));
    return out;
  };
}
