import type { ConvGeometry } from '../conv2d-backprop.js';
import { tapSlices } from './im2col.js';
import type { GraphConstant, GraphNode, GraphSpec } from './onnx-graph.js';

/**
 * Environment variable: `conv` computes the filter gradients of plain convolutions as a Conv with
 * swapped axes, `taps` as per-tap products even where frame windows would run (see `conv.ts`), for
 * side-by-side measurements.
 */
export const FILTER_GRADIENT_ENV = 'SHRINKRAY_ORT_FILTER_GRADIENT';

/**
 * Row chunks of the per-tap filter gradient: each tap's product runs as a batch of this many
 * independent products (ORT's MatMul threads over the batch; one [ci, co] product over all rows runs
 * on one thread), summed afterwards. Measured on the ResNet bench shapes with
 * `tooling/bench/lib/filter-gradient-shapes.js` (batch 128, 2 cores shared, load 9-14, median ms per
 * call, two runs): at 28x28x16→16 1 chunk 31, 4: 37-39, 8: 16-38, 16: 26-34, 32: 23-50; at
 * 14x14x32→32 4-32 chunks 11-18 (1 chunk 19); at 7x7x64→64 8 chunks 8-13, 32: 14-25. 8 is never the slowest.
 */
export const FILTER_GRADIENT_CHUNKS = 8;

/** The largest divisor of `rows` not above {@link FILTER_GRADIENT_CHUNKS}. */
export function chunkCount(rows: number): number {
  for (let c = Math.min(FILTER_GRADIENT_CHUNKS, rows); c > 1; c--) if (rows % c === 0) return c;
  return 1;
}

/**
 * The filter gradient dW[kh, kw, ci, co] = Σ_rows tap(kh, kw)[row, ci] · dy[row, co] as one product
 * per tap: each tap of x ({@link tapSlices}, [n, oh, ow, ci]) and dy ([n·oh·ow, co]) are read as
 * [chunks, rows/chunks, ·], multiplied as a batched `FusedMatMul` with transA ([chunks, ci, co] per
 * tap, no col matrix and no transposes), the taps concatenated along ci and the chunks summed: the
 * [fh·fw·ci, co] result is the HWIO gradient as it is. Graph inputs `X` (NHWC) and `DY`, output `Y`.
 */
export function filterGradientByTapsGraph(w: ConvGeometry): GraphSpec {
  const rows = w.batch * w.outH * w.outW;
  const chunks = chunkCount(rows);
  const { nodes, constants, taps } = tapSlices('X', 'x', w);
  const all: GraphNode[] = [...nodes];
  const consts: GraphConstant[] = [
    ...constants,
    { name: 'tapShape', shape: [3], values: [chunks, rows / chunks, w.inC], int64: true },
    { name: 'dyShape', shape: [3], values: [chunks, rows / chunks, w.outC], int64: true },
    { name: 'chunkAxis', shape: [1], values: [0], int64: true },
  ];
  all.push({ op: 'Reshape', inputs: ['DY', 'dyShape'], outputs: ['dyChunks'] });
  const products = taps.map((tap) => {
    all.push({ op: 'Reshape', inputs: [tap, 'tapShape'], outputs: [`${tap}_chunks`] });
    all.push({ op: 'FusedMatMul', domain: 'com.microsoft', inputs: [`${tap}_chunks`, 'dyChunks'], outputs: [`${tap}_dw`], attributes: { transA: 1 } });
    return `${tap}_dw`;
  });
  const joined = products.length === 1 ? products[0]! : 'joined';
  if (products.length > 1) all.push({ op: 'Concat', inputs: products, outputs: [joined], attributes: { axis: 1 } });
  all.push({ op: 'ReduceSum', inputs: [joined, 'chunkAxis'], outputs: ['Y'], attributes: { keepdims: 0 } });
  return {
    nodes: all,
    inputs: [
      { name: 'X', shape: [w.batch, w.inH, w.inW, w.inC] },
      { name: 'DY', shape: [rows, w.outC] },
    ],
    outputs: [{ name: 'Y', shape: [w.fh * w.fw * w.inC, w.outC] }],
    constants: consts,
  };
}
