import * as tf from '@tensorflow/tfjs-core';

/**
 * `UnsortedSegmentSum` for the tfjs wasm backend, which has none: the gradient of `Gather` (and so of
 * every `Embedding` layer) needs it. Registered once when tensor-core loads, only where wasm lacks it.
 * Sums rows of `x` (`[n, ...rest]`) into `numSegments` rows by `segmentIds` (`[n]`); ids outside
 * `[0, numSegments)` are dropped, as tfjs does.
 */
interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function unsortedSegmentSum(args: Parameters<tf.KernelConfig['kernelFunc']>[0]): tf.TensorInfo {
  const backend = args.backend as unknown as HeapBackend;
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = args.attrs as unknown as { numSegments: number };
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const width = rows === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / rows;
  const out = backend.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
  // Views taken after the last allocation (heap growth detaches earlier ones).
  const xs = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const o = backend.typedArrayFromHeap(out);
  o.fill(0);
  for (let i = 0; i < rows; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * width;
    const dst = s * width;
    for (let j = 0; j < width; j++) o[dst + j]! += xs[src + j]!;
  }
  return out;
}

/** Registers the kernel for `wasm` unless one is registered already (idempotent). */
export function registerWasmSegmentSum(): void {
  if (!tf.getKernel(tf.UnsortedSegmentSum, 'wasm')) {
    tf.registerKernel({ kernelName: tf.UnsortedSegmentSum, backendName: 'wasm', kernelFunc: unsortedSegmentSum as unknown as tf.KernelConfig['kernelFunc'] });
  }
}

registerWasmSegmentSum();
