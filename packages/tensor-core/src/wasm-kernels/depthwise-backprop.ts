import * as tf from '@tensorflow/tfjs-core';
import { type ConvGeometry, geometry } from './conv2d-backprop.js';
import { heapF32, type KernelFunc, type WasmBackendLike } from './wasm-backend.js';

/** Geometry of a depthwise convolution (NHWC, filter [fh, fw, inC, mult]). */
type DepthwiseGeometry = ConvGeometry & { mult: number };

function depthwiseGeometry(xShape: readonly number[], filterShape: readonly number[], attrs: Pick<tf.DepthwiseConv2dNativeBackpropFilterAttrs, 'strides' | 'dilations' | 'pad' | 'dimRoundingMode'>): DepthwiseGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  return { ...geometry(info), mult: filterShape[3]! };
}

/**
 * Visits every (output position, filter tap) pair that reads an input pixel: `visit(xOffset, dyOffset,
 * filterOffset)` with the offsets of channel 0 (channel c is at +c, output channel c·mult+m at +c·mult+m).
 */
function forEachTap(g: DepthwiseGeometry, visit: (x: number, dy: number, w: number) => void): void {
  const outC = g.inC * g.mult;
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        const dy = ((n * g.outH + oh) * g.outW + ow) * outC;
        for (let kh = 0; kh < g.fh; kh++) {
          const ih = oh * g.sh + kh * g.dh - g.padTop;
          if (ih < 0 || ih >= g.inH) continue;
          for (let kw = 0; kw < g.fw; kw++) {
            const iw = ow * g.sw + kw * g.dw - g.padLeft;
            if (iw < 0 || iw >= g.inW) continue;
            visit(((n * g.inH + ih) * g.inW + iw) * g.inC, dy, (kh * g.fw + kw) * outC);
          }
        }
      }
    }
  }
}

/**
 * What both backprop kernels do: a zeroed float32 output of `outShape`, the heap views of the two
 * inputs, and `accumulate(out, a, b)`'s per-tap visitor run over every tap of `g`.
 */
function runBackprop(
  backend: WasmBackendLike,
  g: DepthwiseGeometry,
  outShape: readonly number[],
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  accumulate: (out: Float32Array, a: Float32Array, b: Float32Array) => (x: number, dy: number, w: number) => void,
): tf.TensorInfo {
  const out = backend.makeOutput([...outShape], 'float32');
  const data = heapF32(backend, out);
  data.fill(0);
  forEachTap(g, accumulate(data, heapF32(backend, a), heapF32(backend, b)));
  return out;
}

/**
 * `DepthwiseConv2dNativeBackpropFilter` for the wasm backend (missing in tfjs-backend-wasm 4.22, so
 * training a DepthwiseConv2D threw): dW[kh,kw,c,m] = Σ x[n,ih,iw,c]·dy[n,oh,ow,c·mult+m], direct loops.
 */
export function makeDepthwiseBackpropFilter(): KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
    const g = depthwiseGeometry(x.shape, attrs.filterShape, attrs);
    const { inC, mult } = g;
    return runBackprop(args.backend as WasmBackendLike, g, attrs.filterShape, x, dy, (dw, xs, dys) => (xo, dyo, wo) => {
      for (let c = 0; c < inC; c++) {
        const xv = xs[xo + c]!;
        for (let m = 0; m < mult; m++) dw[wo + c * mult + m]! += xv * dys[dyo + c * mult + m]!;
      }
    });
  };
}

/**
 * `DepthwiseConv2dNativeBackpropInput` for the wasm backend (missing in tfjs-backend-wasm 4.22):
 * dx[n,ih,iw,c] = Σ dy[n,oh,ow,c·mult+m]·W[kh,kw,c,m], direct loops.
 */
export function makeDepthwiseBackpropInput(): KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
    const g = depthwiseGeometry(attrs.inputShape, filter.shape, attrs);
    const { inC, mult } = g;
    return runBackprop(args.backend as WasmBackendLike, g, attrs.inputShape, dy, filter, (dx, dys, ws) => (xo, dyo, wo) => {
      for (let c = 0; c < inC; c++) {
        let s = 0;
        for (let m = 0; m < mult; m++) s += dys[dyo + c * mult + m]! * ws[wo + c * mult + m]!;
        dx[xo + c]! += s;
      }
    });
  };
}
