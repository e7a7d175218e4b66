import * as tf from '@tensorflow/tfjs-core';
import { heapF32, type KernelFunc, type WasmBackendLike } from '../wasm-backend.js';
import { type Epilogue, epilogueKey, epilogueNodes, supportedActivation } from './epilogue.js';
import { geometry } from '../conv2d-backprop.js';
import { fillDyFrame, fillXFrame, filterGradientByShiftsGraph, shiftFrame, windowShape } from './filter-shifts.js';
import { chunkCount, FILTER_GRADIENT_ENV, filterGradientByTapsGraph } from './filter-taps.js';
import { im2colNodes } from './im2col.js';
import type { GraphConstant, GraphNode, GraphSpec } from './onnx-graph.js';
import { allFloat, type BoundInput, countCall, ortRuntime, runOnHeap } from './runtime.js';

/*
 * Convolutions and their gradients in ONNX Runtime. tfjs-backend-wasm keeps tensors NHWC with HWIO
 * filters; ONNX's Conv is NCHW with OIHW filters, so each graph transposes its operands, runs one
 * Conv / ConvTranspose and transposes the result back (ORT's MLAS convolution is still several times
 * faster than the single-threaded wasm kernels, transposes included):
 *
 * - Conv2D / _FusedConv2D: Conv (+ bias, activation).
 * - Conv2DBackpropInput: ConvTranspose of dy with the forward filter.
 * - Conv2DBackpropFilter: one batched product per filter tap, no transposes (`filter-taps.ts`); for
 *   inputs with few channels an im2col Gemm.
 * - DepthwiseConv2dNative (+ fused) and its input gradient: the same with group = channels.
 * - DepthwiseConv2dNativeBackpropFilter: one grouped Conv over x as [1, c·n, h, w] (the depthwise case
 *   of the Conv with batch and channel axes swapped: x as [ci, n, h, w], dy as filters [co, n, oh, ow]).
 */

/**
 * Convolutions with fewer multiply-adds than this stay on wasm (call and transpose overhead); measured
 * with `pnpm bench kernels`.
 */
export const ORT_CONV_MIN_MACS = 1 << 18;

/**
 * Forward convolutions and input gradients (not depthwise) with fewer input or output channels than this
 * stay on wasm, whose XNNPACK convolution (single-threaded, NHWC, no transposes) measured as fast or
 * faster there on the shared 2-core machine (batch 128, 3x3, ORT vs wasm ms: forward 8→8 at 28x28
 * 7.6 vs 4.9, 16→16 16.5 vs 16.0, 32→32 at 14x14 11.5 vs 14.7, 64→64 at 7x7 11.0 vs 15.1; input
 * gradient 16→16 29.5 vs 18.3, 32→32 16.1 vs 15.4, 64→64 14.6 vs 23.7). Filter gradients stay in ORT
 * at every channel count (2-2.7x faster there). Strided input gradients go to ORT at every width: on
 * wasm they are a product and a col2im scatter, not an XNNPACK convolution (3x3 stride 2, 32→16 from
 * 14x14 to 28x28: ORT 19 vs wasm 37 ms, alternating in one process at load 8).
 */
export const ORT_CONV_MIN_CHANNELS = 32;

/**
 * Input gradients with fewer input channels than this (an image's 1-3) go to ORT: on wasm they are an
 * XNNPACK convolution with that few output channels, or a product and col2im (batch 128, 3x3, 1←16 at
 * 28x28: ORT 8.4-8.6 vs wasm 12.1-12.8 ms, alternating in one process at load 10).
 */
export const ORT_INPUT_GRADIENT_FEW_CHANNELS = 4;

/**
 * 1x1 convolutions (forward and input gradient) with fewer input or output channels than this stay on
 * wasm: a plain product there, while ORT adds two NCHW transposes around little work (batch 128, stride
 * 2, wasm vs ORT ms: 16→32 at 28x28 forward 1.0-1.5 vs 4.9-5.2, input gradient 2.8 vs 5.5-5.8; 32→64 at
 * 14x14 forward 0.9-1.0 vs 2.7-3.0, input gradient 1.7 vs 3.7-3.9; 128→256 at 14x14 a tie forward,
 * 23 vs 32 input gradient, under load 8-9).
 */
export const ORT_POINTWISE_MIN_CHANNELS = 128;

/**
 * True when a forward or input-gradient convolution is too narrow for ORT (see
 * {@link ORT_CONV_MIN_CHANNELS}, {@link ORT_POINTWISE_MIN_CHANNELS}); never when the wasm kernel is
 * missing (`minMacs` 0).
 */
function narrow(info: Info, depthwise: boolean, minMacs: number, inputGradient = false): boolean {
  if (depthwise || minMacs === 0) return false;
  const channels = Math.min(info.inChannels, info.outChannels);
  if (info.filterHeight === 1 && info.filterWidth === 1) return channels < ORT_POINTWISE_MIN_CHANNELS;
  if (inputGradient && (info.strideHeight > 1 || info.strideWidth > 1 || info.inChannels < ORT_INPUT_GRADIENT_FEW_CHANNELS)) return false;
  return channels < ORT_CONV_MIN_CHANNELS;
}

type Info = tf.backend_util.Conv2DInfo;

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
/** HWIO filter -> OIHW. */
const HWIO_TO_OIHW = [3, 2, 0, 1];

function t(input: string, output: string, perm: number[]): GraphNode {
  return { op: 'Transpose', inputs: [input], outputs: [output], attributes: { perm } };
}

function geometryKey(info: Info): string {
  const p = info.padInfo;
  return [info.inShape, info.filterHeight, info.filterWidth, info.outChannels, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, p.top, p.bottom, p.left, p.right].join(':');
}

function macs(info: Info, perOutput: number): number {
  return info.batchSize * info.outHeight * info.outWidth * info.outChannels * perOutput;
}

function convAttributes(info: Info, group: number): GraphNode['attributes'] {
  const p = info.padInfo;
  return {
    kernel_shape: [info.filterHeight, info.filterWidth],
    strides: [info.strideHeight, info.strideWidth],
    dilations: [info.dilationHeight, info.dilationWidth],
    pads: [p.top, p.left, p.bottom, p.right],
    group,
  };
}

function usable(info: Info, attrs: ConvAttrs): boolean {
  const p = info.padInfo;
  return (attrs.dataFormat ?? 'NHWC') === 'NHWC' && [p.top, p.bottom, p.left, p.right].every((v) => v >= 0);
}

/** Forward convolution graph (plain or depthwise) with its epilogue. */
function forwardGraph(info: Info, depthwise: boolean, filterShape: readonly number[], e: Epilogue): GraphSpec {
  const outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  const nodes: GraphNode[] = [t('X', 'Xc', NHWC_TO_NCHW), t('F', 'Fc', HWIO_TO_OIHW)];
  const group = depthwise ? info.inChannels : 1;
  // A per-channel bias and an elementwise activation go before the transpose back (ORT fuses them into the Conv).
  const biasInConv = e.bias !== undefined && e.bias.shape.length === 1 && e.bias.shape[0] === info.outChannels && e.activation !== 'prelu';
  const convInputs = biasInConv ? ['Xc', 'Fc', 'bias'] : ['Xc', 'Fc'];
  nodes.push({ op: 'Conv', inputs: convInputs, outputs: ['Yc'], attributes: convAttributes(info, group) });
  let tail: { nodes: GraphNode[]; inputs: GraphSpec['inputs']; constants: GraphConstant[] };
  if (biasInConv || (e.bias === undefined && e.activation !== 'prelu')) {
    const inner = epilogueNodes('Yc', 'Ya', { ...e, bias: undefined });
    tail = { nodes: [...inner.nodes, t('Ya', 'Y', NCHW_TO_NHWC)], inputs: biasInConv ? [{ name: 'bias', shape: [info.outChannels] }] : [], constants: inner.constants };
  } else {
    const inner = epilogueNodes('Yt', 'Y', e);
    tail = { nodes: [t('Yc', 'Yt', NCHW_TO_NHWC), ...inner.nodes], inputs: inner.inputs, constants: inner.constants };
  }
  return {
    nodes: [...nodes, ...tail.nodes],
    inputs: [{ name: 'X', shape: info.inShape }, { name: 'F', shape: filterShape }, ...tail.inputs],
    outputs: [{ name: 'Y', shape: outShape }],
    constants: tail.constants,
  };
}

function forward(args: Parameters<KernelFunc>[0], kernel: string, depthwise: boolean, minMacs: number): tf.TensorInfo | undefined {
  const rt = ortRuntime();
  const inputs = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { activation?: string; leakyreluAlpha?: number };
  const { x, filter } = inputs;
  if (!rt || x.shape.length !== 4 || filter.shape.length !== 4 || !allFloat(x, filter, inputs.bias, inputs.preluActivationWeights) || !supportedActivation(attrs.activation)) return undefined;
  const dilations = attrs.dilations ?? 1;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs.strides, dilations, attrs.pad, attrs.dimRoundingMode, depthwise);
  const perOutput = info.filterHeight * info.filterWidth * (depthwise ? 1 : info.inChannels);
  if (!usable(info, attrs) || macs(info, perOutput) < minMacs || narrow(info, depthwise, minMacs)) return undefined;
  const e: Epilogue = {
    ...(inputs.bias != null ? { bias: inputs.bias } : {}),
    ...(inputs.preluActivationWeights != null ? { prelu: inputs.preluActivationWeights } : {}),
    ...(attrs.activation !== undefined ? { activation: attrs.activation } : {}),
    ...(attrs.leakyreluAlpha !== undefined ? { leakyreluAlpha: attrs.leakyreluAlpha } : {}),
  };
  // Depthwise filters [fh, fw, c, mult] are read as [fh, fw, 1, c·mult]: transposed to OIHW that is [c·mult, 1, fh, fw].
  const filterShape = depthwise ? [info.filterHeight, info.filterWidth, 1, info.outChannels] : filter.shape;
  const key = `${kernel}:${geometryKey(info)}:${epilogueKey(e)}`;
  const bound: BoundInput[] = [
    { name: 'X', info: x },
    { name: 'F', info: filter, shape: filterShape },
  ];
  if (e.bias) bound.push({ name: 'bias', info: e.bias });
  if (e.prelu) bound.push({ name: 'prelu', info: e.prelu });
  const outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  return runOnHeap(rt, args.backend as WasmBackendLike, key, () => forwardGraph(info, depthwise, filterShape, e), bound, outShape);
}

/** Input gradient: ConvTranspose of dy (NCHW) with the forward filter (OIHW), back to NHWC. */
function backpropInput(args: Parameters<KernelFunc>[0], kernel: string, depthwise: boolean, minMacs: number): tf.TensorInfo | undefined {
  const rt = ortRuntime();
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
  if (!rt || dy.shape.length !== 4 || filter.shape.length !== 4 || !allFloat(dy, filter)) return undefined;
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, depthwise);
  const perOutput = info.filterHeight * info.filterWidth * (depthwise ? 1 : info.inChannels);
  if (!usable(info, attrs) || macs(info, perOutput) < minMacs || narrow(info, depthwise, minMacs, true)) return undefined;
  const p = info.padInfo;
  const extentH = info.strideHeight * (info.outHeight - 1) + info.dilationHeight * (info.filterHeight - 1) + 1 - p.top - p.bottom;
  const extentW = info.strideWidth * (info.outWidth - 1) + info.dilationWidth * (info.filterWidth - 1) + 1 - p.left - p.right;
  const outputPadding = [info.inHeight - extentH, info.inWidth - extentW];
  if (outputPadding[0]! < 0 || outputPadding[1]! < 0 || outputPadding[0]! >= Math.max(info.strideHeight, info.dilationHeight) || outputPadding[1]! >= Math.max(info.strideWidth, info.dilationWidth)) return undefined;
  const filterShape = depthwise ? [info.filterHeight, info.filterWidth, 1, info.outChannels] : filter.shape;
  const dyShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  const key = `${kernel}:${geometryKey(info)}`;
  const graph = (): GraphSpec => ({
    nodes: [
      t('DY', 'DYc', NHWC_TO_NCHW),
      t('F', 'Fc', HWIO_TO_OIHW),
      {
        op: 'ConvTranspose',
        inputs: ['DYc', 'Fc'],
        outputs: ['Xc'],
        attributes: { ...convAttributes(info, depthwise ? info.inChannels : 1), output_padding: outputPadding },
      },
      t('Xc', 'Y', NCHW_TO_NHWC),
    ],
    inputs: [
      { name: 'DY', shape: dyShape },
      { name: 'F', shape: filterShape },
    ],
    outputs: [{ name: 'Y', shape: info.inShape }],
  });
  return runOnHeap(
    rt,
    args.backend as WasmBackendLike,
    key,
    graph,
    [
      { name: 'DY', info: dy },
      { name: 'F', info: filter, shape: filterShape },
    ],
    [...info.inShape],
  );
}

/**
 * Filter gradient. dW[fh,fw,ci,co] = Σ_{n,oh,ow} x[n, oh·sh + fh·dh − top, ow·sw + fw·dw − left, ci] · dy[n,oh,ow,co]:
 * a Conv of x (batch ci, channels n) with dy as filters (co of them, n channels, oh×ow taps) where the
 * forward stride is the dilation and the forward dilation the stride. Rows/columns of x that the forward
 * pass never read are cut off with a Slice (a negative end padding). Plain convolutions take per-tap
 * products or an im2col Gemm instead (see {@link IM2COL_MAX_CHANNELS}).
 */
function backpropFilter(args: Parameters<KernelFunc>[0], kernel: string, depthwise: boolean, minMacs: number): tf.TensorInfo | undefined {
  const rt = ortRuntime();
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
  if (!rt || x.shape.length !== 4 || dy.shape.length !== 4 || !allFloat(x, dy)) return undefined;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, depthwise);
  const perOutput = info.filterHeight * info.filterWidth * (depthwise ? 1 : info.inChannels);
  if (!usable(info, attrs) || macs(info, perOutput) < minMacs) return undefined;
  const method = depthwise ? 'conv' : filterGradientMethod(info);
  if (method === 'im2col') return filterGradientByIm2col(rt, args.backend as WasmBackendLike, kernel, info, x, dy);
  if (method === 'shifts') return filterGradientByShifts(rt, args.backend as WasmBackendLike, kernel, info, x, dy);
  if (method === 'taps') return filterGradientByTaps(rt, args.backend as WasmBackendLike, kernel, info, x, dy);
  const p = info.padInfo;
  const n = info.batchSize;
  const c = info.inChannels;
  // Rows of x the last output row reads, beyond the input's end (negative: unread rows to cut).
  const endH = info.strideHeight * (info.outHeight - 1) + info.dilationHeight * (info.filterHeight - 1) + 1 - p.top - info.inHeight;
  const endW = info.strideWidth * (info.outWidth - 1) + info.dilationWidth * (info.filterWidth - 1) + 1 - p.left - info.inWidth;
  const usedH = info.inHeight + Math.min(endH, 0);
  const usedW = info.inWidth + Math.min(endW, 0);
  const dyShape = [n, info.outHeight, info.outWidth, info.outChannels];
  const key = `${kernel}:${geometryKey(info)}`;
  const graph = (): GraphSpec => {
    const nodes: GraphNode[] = [t('X', 'Xt', [3, 0, 1, 2]), t('DY', 'DYt', [3, 0, 1, 2])];
    const constants: GraphConstant[] = [];
    let xt = 'Xt';
    if (usedH < info.inHeight || usedW < info.inWidth) {
      constants.push(
        { name: 'starts', shape: [2], values: [0, 0], int64: true },
        { name: 'ends', shape: [2], values: [usedH, usedW], int64: true },
        { name: 'axes', shape: [2], values: [2, 3], int64: true },
      );
      nodes.push({ op: 'Slice', inputs: ['Xt', 'starts', 'ends', 'axes'], outputs: ['Xs'] });
      xt = 'Xs';
    }
    if (depthwise) {
      // x as one image of c·n channels, grouped by input channel; dy as c·mult filters of n channels.
      constants.push({ name: 'oneImage', shape: [4], values: [1, c * n, usedH, usedW], int64: true });
      nodes.push({ op: 'Reshape', inputs: [xt, 'oneImage'], outputs: ['Xg'] });
      xt = 'Xg';
    }
    const attributes = {
      kernel_shape: [info.outHeight, info.outWidth],
      strides: [info.dilationHeight, info.dilationWidth],
      dilations: [info.strideHeight, info.strideWidth],
      pads: [p.top, p.left, Math.max(endH, 0), Math.max(endW, 0)],
      group: depthwise ? c : 1,
    };
    nodes.push({ op: 'Conv', inputs: [xt, 'DYt'], outputs: ['G'], attributes });
    if (depthwise) {
      // [1, c·mult, fh, fw] -> [fh, fw, 1, c·mult], which is HWIO [fh, fw, c, mult] in memory.
      nodes.push(t('G', 'Y', [2, 3, 0, 1]));
    } else {
      nodes.push(t('G', 'Y', [2, 3, 0, 1]));
    }
    const outShape = depthwise ? [info.filterHeight, info.filterWidth, 1, info.outChannels] : [...attrs.filterShape];
    return {
      nodes,
      inputs: [
        { name: 'X', shape: x.shape },
        { name: 'DY', shape: dyShape },
      ],
      outputs: [{ name: 'Y', shape: outShape }],
      constants,
    };
  };
  return runOnHeap(
    rt,
    args.backend as WasmBackendLike,
    key,
    graph,
    [
      { name: 'X', info: x },
      { name: 'DY', info: dy },
    ],
    [...attrs.filterShape],
    depthwise ? [info.filterHeight, info.filterWidth, 1, info.outChannels] : undefined,
  );
}

/**
 * Stride-1 filter gradients whose x frame (`filter-shifts.ts`) has at most this many times the output's
 * pixels run as in-place window products; smaller images (the frame's border a larger share) as per-tap
 * products. Measured alternating in one process (batch 128, 3x3 'same', load 10, median ms per call,
 * per-tap vs windows): 28x28x16→16 36.9 vs 31.7 and 71.7 vs 55.6 (frame 1.15x), 14x14x32→32 23.9 vs 23.2
 * (1.31x), 7x7x64→64 16.1 vs 23.9 (1.65x).
 */
export const SHIFT_FRAME_MAX_GROWTH = 1.2;

/**
 * How the filter gradient of a plain (not depthwise) convolution runs in ORT: an im2col Gemm for few
 * input channels, windows of a zero frame for stride 1 when the frame is not much larger than the
 * output, otherwise per-tap products; {@link FILTER_GRADIENT_ENV} forces `conv` (swapped axes) or `taps`.
 */
export function filterGradientMethod(info: Info): 'im2col' | 'shifts' | 'taps' | 'conv' {
  if (info.inChannels < IM2COL_MAX_CHANNELS) return 'im2col';
  const forced = process.env[FILTER_GRADIENT_ENV];
  if (forced === 'conv' || forced === 'taps') return forced;
  if (info.strideHeight === 1 && info.strideWidth === 1) {
    const frame = shiftFrame(geometry(info));
    if (frame.hp * frame.wp <= SHIFT_FRAME_MAX_GROWTH * info.outHeight * info.outWidth) return 'shifts';
  }
  return 'taps';
}

/**
 * Filter gradients of plain convolutions by input channels, measured with
 * `tooling/bench/lib/filter-gradient-shapes.js` on the ResNet bench shapes (batch 128, 3x3 unless
 * noted, 2 cores shared at load 9-14, median ms per call of two runs; swapped-axes Conv / im2col Gemm /
 * per-tap products {@link filterGradientByTapsGraph}):
 *
 * | shape                  | swapped Conv | im2col  | per tap |
 * | 28x28x1→16             | 8            | 6       | 10      |
 * | 28x28x16→16            | 64-75        | 142-157 | 20-38   |
 * | 28x28x16→32 stride 2   | 13-26        | 23-48   | 9       |
 * | 28x28x16→32 1x1 s2     | 12-15        | 1.3     | 1.0     |
 * | 14x14x32→32            | 37-38        | 32-43   | 16-32   |
 * | 14x14x32→64 stride 2   | 11-13        | 8-11    | 9       |
 * | 14x14x32→64 1x1 s2     | 6-10         | 0.7     | 0.5     |
 * | 7x7x64→64              | 15-28        | 12-28   | 8-13    |
 *
 * Below this many input channels the im2col Gemm (its col matrix is small), from it on per-tap
 * products; the swapped Conv only under {@link FILTER_GRADIENT_ENV}` = conv` (and for depthwise).
 */
const IM2COL_MAX_CHANNELS = 8;

/**
 * dW = colᵀ·dy as one Gemm: col [n·oh·ow, fh·fw·ci] (built in the graph, see {@link im2colNodes}),
 * dy read as [n·oh·ow, co]; the [fh·fw·ci, co] result is the HWIO filter gradient as it is. For few
 * input channels the Conv with swapped axes has almost no work per output row; this has fh·fw·ci rows.
 */
function filterGradientByIm2col(rt: NonNullable<ReturnType<typeof ortRuntime>>, backend: WasmBackendLike, kernel: string, info: Info, x: tf.TensorInfo, dy: tf.TensorInfo): tf.TensorInfo {
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const taps = info.filterHeight * info.filterWidth * info.inChannels;
  const graph = (): GraphSpec => {
    const col = im2colNodes('X', 'col', geometry(info));
    return {
      nodes: [...col.nodes, { op: 'Gemm', inputs: ['col', 'DY'], outputs: ['Y'], attributes: { transA: 1 } }],
      inputs: [
        { name: 'X', shape: x.shape },
        { name: 'DY', shape: [rows, info.outChannels] },
      ],
      outputs: [{ name: 'Y', shape: [taps, info.outChannels] }],
      constants: col.constants,
    };
  };
  return runOnHeap(
    rt,
    backend,
    `${kernel}:im2col:${geometryKey(info)}`,
    graph,
    [
      { name: 'X', info: x },
      { name: 'DY', info: dy, shape: [rows, info.outChannels] },
    ],
    [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels],
    [taps, info.outChannels],
  );
}

/** The filter gradient as per-tap batched products ({@link filterGradientByTapsGraph}), HWIO as it comes. */
function filterGradientByTaps(rt: NonNullable<ReturnType<typeof ortRuntime>>, backend: WasmBackendLike, kernel: string, info: Info, x: tf.TensorInfo, dy: tf.TensorInfo): tf.TensorInfo {
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const taps = info.filterHeight * info.filterWidth * info.inChannels;
  return runOnHeap(
    rt,
    backend,
    `${kernel}:taps:${geometryKey(info)}`,
    () => filterGradientByTapsGraph(geometry(info)),
    [
      { name: 'X', info: x },
      { name: 'DY', info: dy, shape: [rows, info.outChannels] },
    ],
    [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels],
    [taps, info.outChannels],
  );
}

/**
 * The filter gradient of a stride-1 convolution as products of in-place windows of x's zero frame
 * (`filter-shifts.ts`): the frames are written on wasm (two copies), then ORT multiplies without
 * copying a tap per filter position.
 */
function filterGradientByShifts(rt: NonNullable<ReturnType<typeof ortRuntime>>, backend: WasmBackendLike, kernel: string, info: Info, x: tf.TensorInfo, dy: tf.TensorInfo): tf.TensorInfo {
  const g = geometry(info);
  const frame = shiftFrame(g);
  const chunks = chunkCount(frame.length);
  const xFrame = backend.makeOutput([frame.xLength, g.inC], 'float32');
  const dyFrame = backend.makeOutput([frame.length, g.outC], 'float32');
  try {
    // Views after both allocations.
    fillXFrame(heapF32(backend, x), heapF32(backend, xFrame), g, frame);
    fillDyFrame(heapF32(backend, dy), heapF32(backend, dyFrame), g, frame);
    const windows: BoundInput[] = frame.shifts.map((shift, i) => ({ name: `X${i}`, info: xFrame, shape: windowShape(frame, chunks, g.inC), offset: shift * g.inC }));
    return runOnHeap(
      rt,
      backend,
      `${kernel}:shifts:${geometryKey(info)}`,
      () => filterGradientByShiftsGraph(g, frame),
      [...windows, { name: 'DY', info: dyFrame, shape: windowShape(frame, chunks, g.outC) }],
      [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels],
      [g.fh * g.fw * g.inC, g.outC],
    );
  } finally {
    backend.disposeData(xFrame.dataId);
    backend.disposeData(dyFrame.dataId);
  }
}

type Runner = (args: Parameters<KernelFunc>[0], kernel: string, depthwise: boolean, minMacs: number) => tf.TensorInfo | undefined;

/** An ORT kernel wrapping the wasm one; `always`: ORT at every size (the wasm kernel is missing). */
export type OrtConvKernel = (fallback: KernelFunc, always?: boolean) => KernelFunc;

function wrap(kernel: string, run: Runner, depthwise: boolean): OrtConvKernel {
  return (fallback, always = false) => (args) => {
    const out = run(args, kernel, depthwise, always ? 0 : ORT_CONV_MIN_MACS);
    countCall(kernel, out ? 'ort' : 'wasm');
    return out ?? fallback(args);
  };
}

/** The convolution kernels that run in ORT, each wrapping its wasm kernel (used below the thresholds). */
export const ortConvKernels: Readonly<Record<string, OrtConvKernel>> = {
  [tf.Conv2D]: wrap(tf.Conv2D, forward, false),
  [tf.FusedConv2D]: wrap(tf.FusedConv2D, forward, false),
  [tf.DepthwiseConv2dNative]: wrap(tf.DepthwiseConv2dNative, forward, true),
  [tf.FusedDepthwiseConv2D]: wrap(tf.FusedDepthwiseConv2D, forward, true),
  [tf.Conv2DBackpropInput]: wrap(tf.Conv2DBackpropInput, backpropInput, false),
  [tf.DepthwiseConv2dNativeBackpropInput]: wrap(tf.DepthwiseConv2dNativeBackpropInput, backpropInput, true),
  [tf.Conv2DBackpropFilter]: wrap(tf.Conv2DBackpropFilter, backpropFilter, false),
  [tf.DepthwiseConv2dNativeBackpropFilter]: wrap(tf.DepthwiseConv2dNativeBackpropFilter, backpropFilter, true),
};
