import * as tf from '@tensorflow/tfjs-core';
import type { ConvGeometry } from './conv2d-backprop.js';
import { simdKernels } from './simd.js';
import { heapF32, type KernelFunc, type WasmBackendLike } from './wasm-backend.js';

/*
 * The stock wasm MaxPoolGrad walks, for every input pixel, every window that could contain it and
 * recomputes each window's maximum (~25 ns per element here). This one computes each window's argmax
 * once and scatters dy into it: same result (first maximum in row-major window order, as tfjs-cpu);
 * 2x2 windows with stride 2 and a channel count that is a multiple of 4 as one SIMD pass (`simd.ts`).
 */

/** A pooling window's geometry: a convolution's without dilation, with one channel count. */
type PoolGeometry = Pick<ConvGeometry, 'batch' | 'inH' | 'inW' | 'outH' | 'outW' | 'fh' | 'fw' | 'sh' | 'sw' | 'padTop' | 'padLeft'> & { channels: number };

/** dx (zeroed by the caller) += dy routed to each pooling window's first maximum of x (NHWC). */
export function maxPoolBackprop(x: Float32Array, dy: Float32Array, dx: Float32Array, g: PoolGeometry): void {
  if (g.fh === 2 && g.fw === 2 && g.sh === 2 && g.sw === 2 && g.padTop === 0 && g.padLeft === 0 && g.outH * 2 <= g.inH && g.outW * 2 <= g.inW) {
    maxPoolBackprop2x2(x, dy, dx, g);
    return;
  }
  const c = g.channels;
  const rowStride = g.inW * c;
  let o = 0;
  for (let n = 0; n < g.batch; n++) {
    const base = n * g.inH * rowStride;
    for (let oh = 0; oh < g.outH; oh++) {
      const r0 = oh * g.sh - g.padTop;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(g.inH, r0 + g.fh);
      for (let ow = 0; ow < g.outW; ow++) {
        const c0 = ow * g.sw - g.padLeft;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(g.inW, c0 + g.fw);
        for (let ch = 0; ch < c; ch++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let r = rMin; r < rMax; r++) {
            let p = base + r * rowStride + cMin * c + ch;
            for (let col = cMin; col < cMax; col++, p += c) {
              const v = x[p]!;
              if (v > best) {
                best = v;
                at = p;
              }
            }
          }
          if (at >= 0) dx[at]! += dy[o + ch]!;
        }
        o += c;
      }
    }
  }
}

/** The common 2x2/stride 2/no padding case: four candidates per output, no bounds checks. */
function maxPoolBackprop2x2(x: Float32Array, dy: Float32Array, dx: Float32Array, g: PoolGeometry): void {
  const c = g.channels;
  const rowStride = g.inW * c;
  let o = 0;
  for (let n = 0; n < g.batch; n++) {
    const base = n * g.inH * rowStride;
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        const p00 = base + 2 * oh * rowStride + 2 * ow * c;
        const p01 = p00 + c;
        const p10 = p00 + rowStride;
        const p11 = p10 + c;
        for (let ch = 0; ch < c; ch++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          let v = x[p00 + ch]!;
          if (v > best) {
            best = v;
            at = p00 + ch;
          }
          v = x[p01 + ch]!;
          if (v > best) {
            best = v;
            at = p01 + ch;
          }
          v = x[p10 + ch]!;
          if (v > best) {
            best = v;
            at = p10 + ch;
          }
          v = x[p11 + ch]!;
          if (v > best) at = p11 + ch;
          if (at >= 0) dx[at]! += dy[o + ch]!;
        }
        o += c;
      }
    }
  }
}

/** MaxPoolGrad for the wasm backend (argmax + scatter in JS); `original` handles non-float32 data. */
export function makeMaxPoolGrad(original: KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackendLike;
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
    if (dy.dtype !== 'float32' || input.dtype !== 'float32' || input.shape.length !== 4) return original(args);
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      attrs.filterSize,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const dx = backend.makeOutput([...input.shape], 'float32');
    const dxData = heapF32(backend, dx);
    dxData.fill(0);
    const simd = simdKernels(backend);
    const twoByTwo = info.effectiveFilterHeight === 2 && info.effectiveFilterWidth === 2 && info.strideHeight === 2 && info.strideWidth === 2;
    if (simd && twoByTwo && info.padInfo.top === 0 && info.padInfo.left === 0 && info.inChannels % 4 === 0 && info.outHeight * 2 <= info.inHeight && info.outWidth * 2 <= info.inWidth) {
      const g = { batch: info.batchSize, inH: info.inHeight, inW: info.inWidth, outH: info.outHeight, outW: info.outWidth, c: info.inChannels };
      simd.maxPoolGrad2x2(heapF32(backend, input).byteOffset, heapF32(backend, dy).byteOffset, dxData.byteOffset, g);
      return dx;
    }
    maxPoolBackprop(heapF32(backend, input), heapF32(backend, dy), dxData, {
      batch: info.batchSize,
      inH: info.inHeight,
      inW: info.inWidth,
      channels: info.inChannels,
      outH: info.outHeight,
      outW: info.outWidth,
      fh: info.effectiveFilterHeight,
      fw: info.effectiveFilterWidth,
      sh: info.strideHeight,
      sw: info.strideWidth,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
    });
    return dx;
  };
}
