import * as tf from '@tensorflow/tfjs-core';
import { heapF32, type KernelFunc, runSingle, setShape, transpose, view, wasmKernel, type WasmBackendLike } from './wasm-backend.js';

/*
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel at all: training any Conv2D layer on wasm
 * throws "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'". This one computes
 *   dW[fh,fw,ci,co] = Σ_{n,oh,ow} x[n, oh·sh+fh−padTop, ow·sw+fw−padLeft, ci] · dy[n,oh,ow,co]
 * as one matrix product colᵀ·dy, where colᵀ [fh·fw·ci, n·oh·ow] (im2col, transposed) is built in JS
 * directly in the wasm heap and the product runs on the fast (XNNPACK) matmul path.
 */

/** A convolution's geometry (from tfjs' Conv2DInfo), for the kernels that walk windows themselves. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  padTop: number;
  padLeft: number;
}

/** The {@link ConvGeometry} of a tfjs Conv2DInfo. */
export function geometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    fh: info.filterHeight,
    fw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Writes colᵀ (rows (fh,fw,ci), columns (n,oh,ow)) of NHWC `x` into `col`. Two loop orders: one row at
 * a time (best for 1-3 channels) or all channels of a pixel at once (contiguous reads; best otherwise).
 */
export function im2colTransposed(x: Float32Array, col: Float32Array, g: ConvGeometry): void {
  if (g.inC >= 4) im2colTransposedByPixel(x, col, g);
  else im2colTransposedByRow(x, col, g);
}

function im2colTransposedByPixel(x: Float32Array, col: Float32Array, g: ConvGeometry): void {
  const cols = g.batch * g.outH * g.outW;
  const c = g.inC;
  const rowStrideX = g.inW * c;
  for (let kh = 0; kh < g.fh; kh++) {
    for (let kw = 0; kw < g.fw; kw++) {
      const rowBase = (kh * g.fw + kw) * c * cols;
      let p = 0;
      for (let n = 0; n < g.batch; n++) {
        const xBatch = n * g.inH * rowStrideX;
        for (let oh = 0; oh < g.outH; oh++) {
          const ih = oh * g.sh + kh * g.dh - g.padTop;
          const inRow = ih >= 0 && ih < g.inH;
          for (let ow = 0; ow < g.outW; ow++, p++) {
            const iw = ow * g.sw + kw * g.dw - g.padLeft;
            let d = rowBase + p;
            if (!inRow || iw < 0 || iw >= g.inW) {
              for (let ci = 0; ci < c; ci++, d += cols) col[d] = 0;
              continue;
            }
            let s = xBatch + ih * rowStrideX + iw * c;
            for (let ci = 0; ci < c; ci++, d += cols) col[d] = x[s++]!;
          }
        }
      }
    }
  }
}

function im2colTransposedByRow(x: Float32Array, col: Float32Array, g: ConvGeometry): void {
  const cols = g.batch * g.outH * g.outW;
  const rowStrideX = g.inW * g.inC;
  const stepX = g.sw * g.inC;
  for (let kh = 0; kh < g.fh; kh++) {
    for (let kw = 0; kw < g.fw; kw++) {
      // Valid output columns for this filter column: 0 <= ow*sw + kw*dw - padLeft < inW.
      const offW = kw * g.dw - g.padLeft;
      let owStart = 0;
      while (owStart < g.outW && owStart * g.sw + offW < 0) owStart++;
      let owEnd = g.outW;
      while (owEnd > owStart && (owEnd - 1) * g.sw + offW >= g.inW) owEnd--;
      for (let ci = 0; ci < g.inC; ci++) {
        let p = ((kh * g.fw + kw) * g.inC + ci) * cols;
        for (let n = 0; n < g.batch; n++) {
          const xBatch = n * g.inH * rowStrideX;
          for (let oh = 0; oh < g.outH; oh++) {
            const ih = oh * g.sh + kh * g.dh - g.padTop;
            if (ih < 0 || ih >= g.inH) {
              col.fill(0, p, p + g.outW);
              p += g.outW;
              continue;
            }
            if (owStart > 0) col.fill(0, p, p + owStart);
            let src = xBatch + ih * rowStrideX + (owStart * g.sw + offW) * g.inC + ci;
            for (let ow = owStart; ow < owEnd; ow++) {
              col[p + ow] = x[src]!;
              src += stepX;
            }
            if (owEnd < g.outW) col.fill(0, p + owEnd, p + g.outW);
            p += g.outW;
          }
        }
      }
    }
  }
}

/** Conv2DBackpropFilter for the wasm backend (im2col + fast matmul). `matMul` is the wasm BatchMatMul to use. */
export function makeConv2DBackpropFilter(matMul: () => KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackendLike;
    let { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const temps: tf.TensorInfo[] = [];
    try {
      if (attrs.dataFormat === 'NCHW') {
        x = transpose(backend, x, [0, 2, 3, 1]);
        temps.push(x);
        dy = transpose(backend, dy, [0, 2, 3, 1]);
        temps.push(dy);
      }
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        attrs.filterShape,
        attrs.strides,
        1,
        attrs.pad,
        attrs.dimRoundingMode,
        false,
        'channelsLast',
      );
      const g = geometry(info);
      const rows = g.fh * g.fw * g.inC;
      const cols = g.batch * g.outH * g.outW;
      const colT = backend.makeOutput([rows, cols], 'float32');
      temps.push(colT);
      im2colTransposed(heapF32(backend, x), heapF32(backend, colT), g);
      const dy2d = view(dy, [cols, g.outC]);
      const dw = runSingle(matMul(), { inputs: { a: colT, b: dy2d }, backend, attrs: { transposeA: false, transposeB: false } });
      return setShape(backend, dw, [...attrs.filterShape]);
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/** Adds col [n·oh·ow, fh·fw·ci] back into NHWC `dx` (zeroed by the caller): the adjoint of im2col. */
export function col2imAdd(col: Float32Array, dx: Float32Array, g: ConvGeometry): void {
  const k = g.fh * g.fw * g.inC;
  const rowStrideX = g.inW * g.inC;
  let p = 0;
  for (let n = 0; n < g.batch; n++) {
    const xBatch = n * g.inH * rowStrideX;
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        let c = p * k;
        for (let kh = 0; kh < g.fh; kh++) {
          const ih = oh * g.sh + kh * g.dh - g.padTop;
          if (ih < 0 || ih >= g.inH) {
            c += g.fw * g.inC;
            continue;
          }
          for (let kw = 0; kw < g.fw; kw++) {
            const iw = ow * g.sw + kw * g.dw - g.padLeft;
            if (iw < 0 || iw >= g.inW) {
              c += g.inC;
              continue;
            }
            let d = xBatch + ih * rowStrideX + iw * g.inC;
            for (let ci = 0; ci < g.inC; ci++) dx[d++]! += col[c++]!;
          }
        }
        p++;
      }
    }
  }
}

/**
 * Conv2DBackpropInput for the wasm backend: dcol = dy·Wᵀ on the fast matmul path, then col2im in JS.
 * The stock kernel is a direct loop; `original` stays in use for NCHW.
 */
export function makeConv2DBackpropInput(original: KernelFunc, matMul: () => KernelFunc): KernelFunc {
  return (args) => {
    const backend = args.backend as WasmBackendLike;
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (attrs.dataFormat === 'NCHW' || dy.dtype !== 'float32' || filter.dtype !== 'float32') return original(args);
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    const g = geometry(info);
    if (g.sh === 1 && g.sw === 1) {
      const viaConv = backpropInputByConv(backend, dy, filter, g);
      if (viaConv) return viaConv;
    }
    const k = g.fh * g.fw * g.inC;
    const p = g.batch * g.outH * g.outW;
    // dcol [p, k] = dy [p, co] · W[k, co]ᵀ
    const dcol = runSingle(matMul(), {
      inputs: { a: view(dy, [p, g.outC]), b: view(filter, [k, g.outC]) },
      backend,
      attrs: { transposeA: false, transposeB: true },
    });
    try {
      const dx = backend.makeOutput([...attrs.inputShape], 'float32');
      const dxData = heapF32(backend, dx);
      dxData.fill(0);
      col2imAdd(heapF32(backend, dcol), dxData, g);
      return dx;
    } finally {
      backend.disposeData(dcol.dataId);
    }
  };
}

/**
 * Stride 1: dx is the convolution of dy with the filter flipped in space and with in/out channels
 * swapped, padded by (filter − 1 − pad); it runs on the wasm (XNNPACK) Conv2D kernel.
 * Returns undefined when the geometry would need negative padding.
 */
function backpropInputByConv(
  backend: WasmBackendLike,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  g: ConvGeometry,
): tf.TensorInfo | undefined {
  const top = g.fh - 1 - g.padTop;
  const left = g.fw - 1 - g.padLeft;
  const bottom = g.inH - g.outH - top + g.fh - 1;
  const right = g.inW - g.outW - left + g.fw - 1;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return undefined;
  const flipped = backend.makeOutput([g.fh, g.fw, g.outC, g.inC], 'float32');
  try {
    const w = heapF32(backend, filter);
    const f = heapF32(backend, flipped);
    for (let kh = 0; kh < g.fh; kh++) {
      for (let kw = 0; kw < g.fw; kw++) {
        const src = ((g.fh - 1 - kh) * g.fw + (g.fw - 1 - kw)) * g.inC * g.outC;
        const dst = (kh * g.fw + kw) * g.outC * g.inC;
        for (let ci = 0; ci < g.inC; ci++) {
          for (let co = 0; co < g.outC; co++) f[dst + co * g.inC + ci] = w[src + ci * g.outC + co]!;
        }
      }
    }
    return runSingle(wasmKernel(tf.Conv2D), {
      inputs: { x: dy, filter: flipped },
      backend,
      attrs: {
        strides: [1, 1],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        dilations: [1, 1],
      },
    });
  } finally {
    backend.disposeData(flipped.dataId);
  }
}

/** Name of the wasm kernels used internally (looked up at call time so that patched versions are used). */
export const batchMatMulKernel = (): KernelFunc => wasmKernel(tf.BatchMatMul);
