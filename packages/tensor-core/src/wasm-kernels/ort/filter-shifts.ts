import type { ConvGeometry } from '../conv2d-backprop.js';
import { chunkCount } from './filter-taps.js';
import type { GraphConstant, GraphNode, GraphSpec } from './onnx-graph.js';

/*
 * The filter gradient of a stride-1 convolution without copying a tap per filter position. x is laid
 * into a zero frame of hp×wp pixels per image (its padding made explicit) and dy into the same frame
 * (zero outside the output). In the frame flattened over batch and pixels, filter tap (kh, kw) pairs
 * dy's pixel q with x's pixel q + kh·dh·wp + kw·dw, for every q: so each tap's x operand is one
 * contiguous window of the x frame, read in place by ORT (no Slice copies), and
 * dW[kh, kw] = window(kh, kw)ᵀ · dy-frame is one product per tap over all rows. The frame's extra
 * pixels pair with zeros of dy and add nothing.
 */

/** Layout of the frames: pixels per image row and column, rows of the flattened frame, window starts. */
export interface ShiftFrame {
  /** Frame rows and columns per image. */
  readonly hp: number;
  readonly wp: number;
  /** Pixels of the dy frame (batch·hp·wp), the rows of every product. */
  readonly length: number;
  /** Pixels of the x frame: `length` plus the largest shift (zeros that the last windows read). */
  readonly xLength: number;
  /** Start pixel of each tap's window, in (kh, kw) order as HWIO filters are laid out. */
  readonly shifts: readonly number[];
}

/** The frame of a stride-1 geometry. */
export function shiftFrame(g: ConvGeometry): ShiftFrame {
  const hp = g.outH + (g.fh - 1) * g.dh;
  const wp = g.outW + (g.fw - 1) * g.dw;
  const length = g.batch * hp * wp;
  const shifts: number[] = [];
  for (let kh = 0; kh < g.fh; kh++) for (let kw = 0; kw < g.fw; kw++) shifts.push(kh * g.dh * wp + kw * g.dw);
  return { hp, wp, length, xLength: length + shifts[shifts.length - 1]!, shifts };
}

/** Writes x (NHWC) into its zero frame (`frame`, xLength pixels of inC values). */
export function fillXFrame(x: Float32Array, frame: Float32Array, g: ConvGeometry, f: ShiftFrame): void {
  frame.fill(0);
  const c = g.inC;
  // Columns of x inside the frame: frame column = x column + padLeft.
  const c0 = Math.max(0, -g.padLeft);
  const c1 = Math.min(g.inW, f.wp - g.padLeft);
  if (c1 <= c0) return;
  for (let n = 0; n < g.batch; n++) {
    for (let r = 0; r < f.hp; r++) {
      const row = r - g.padTop;
      if (row < 0 || row >= g.inH) continue;
      const from = ((n * g.inH + row) * g.inW + c0) * c;
      frame.set(x.subarray(from, from + (c1 - c0) * c), ((n * f.hp + r) * f.wp + c0 + g.padLeft) * c);
    }
  }
}

/** Writes dy (NHWC, outH×outW) into its zero frame (`frame`, length pixels of outC values). */
export function fillDyFrame(dy: Float32Array, frame: Float32Array, g: ConvGeometry, f: ShiftFrame): void {
  frame.fill(0);
  const row = g.outW * g.outC;
  for (let n = 0; n < g.batch; n++) {
    for (let r = 0; r < g.outH; r++) {
      const from = (n * g.outH + r) * row;
      frame.set(dy.subarray(from, from + row), (n * f.hp + r) * f.wp * g.outC);
    }
  }
}

/**
 * The graph: inputs `X0`… (one window of the x frame per tap, [chunks, length/chunks, inC]) and `DY`
 * (the dy frame, [chunks, length/chunks, outC]); output `Y` [fh·fw·inC, outC], the HWIO gradient as it
 * is. The rows are split into chunks so ORT's MatMul threads over them; the chunk sums are added at the end.
 */
export function filterGradientByShiftsGraph(g: ConvGeometry, f: ShiftFrame): GraphSpec {
  const chunks = chunkCount(f.length);
  const nodes: GraphNode[] = [];
  const products = f.shifts.map((_, i) => {
    nodes.push({ op: 'FusedMatMul', domain: 'com.microsoft', inputs: [`X${i}`, 'DY'], outputs: [`P${i}`], attributes: { transA: 1 } });
    return `P${i}`;
  });
  const joined = products.length === 1 ? products[0]! : 'joined';
  if (products.length > 1) nodes.push({ op: 'Concat', inputs: products, outputs: [joined], attributes: { axis: 1 } });
  const constants: GraphConstant[] = [{ name: 'chunkAxis', shape: [1], values: [0], int64: true }];
  nodes.push({ op: 'ReduceSum', inputs: [joined, 'chunkAxis'], outputs: ['Y'], attributes: { keepdims: 0 } });
  return {
    nodes,
    inputs: [...f.shifts.map((_, i) => ({ name: `X${i}`, shape: windowShape(f, chunks, g.inC) })), { name: 'DY', shape: windowShape(f, chunks, g.outC) }],
    outputs: [{ name: 'Y', shape: [g.fh * g.fw * g.inC, g.outC] }],
    constants,
  };
}

/** Shape of a window (or the dy frame) as the graph reads it. */
export function windowShape(f: ShiftFrame, chunks: number, channels: number): number[] {
  return [chunks, f.length / chunks, channels];
}
