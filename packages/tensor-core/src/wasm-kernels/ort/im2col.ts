import type { ConvGeometry } from '../conv2d-backprop.js';
import type { GraphConstant, GraphNode } from './onnx-graph.js';

/**
 * Graph nodes that cut the fh·fw taps of a convolution out of NHWC `input`: tap (kh, kw) is a value
 * of shape [batch, outH, outW, channels] holding input[n, oh·sh + kh·dh − top, ow·sw + kw·dw − left, c]
 * (zero outside). One zero Pad and one strided Slice per tap; `taps` lists the tap values in (kh, kw)
 * order, as HWIO filters are laid out.
 */
export function tapSlices(input: string, name: string, w: ConvGeometry): { nodes: GraphNode[]; constants: GraphConstant[]; taps: string[] } {
  const nodes: GraphNode[] = [];
  const constants: GraphConstant[] = [];
  const lastRow = (w.outH - 1) * w.sh + (w.fh - 1) * w.dh;
  const lastCol = (w.outW - 1) * w.sw + (w.fw - 1) * w.dw;
  const bottom = Math.max(0, lastRow - w.padTop - (w.inH - 1));
  const right = Math.max(0, lastCol - w.padLeft - (w.inW - 1));
  let padded = input;
  if (w.padTop > 0 || w.padLeft > 0 || bottom > 0 || right > 0) {
    constants.push({ name: `${name}_pads`, shape: [8], values: [0, w.padTop, w.padLeft, 0, 0, bottom, right, 0], int64: true });
    nodes.push({ op: 'Pad', inputs: [input, `${name}_pads`], outputs: [`${name}_padded`] });
    padded = `${name}_padded`;
  }
  constants.push(
    { name: `${name}_axes`, shape: [2], values: [1, 2], int64: true },
    { name: `${name}_steps`, shape: [2], values: [w.sh, w.sw], int64: true },
  );
  const taps: string[] = [];
  for (let kh = 0; kh < w.fh; kh++) {
    for (let kw = 0; kw < w.fw; kw++) {
      const tap = `${name}_t${kh}_${kw}`;
      const r0 = kh * w.dh;
      const c0 = kw * w.dw;
      constants.push(
        { name: `${tap}_s`, shape: [2], values: [r0, c0], int64: true },
        { name: `${tap}_e`, shape: [2], values: [r0 + (w.outH - 1) * w.sh + 1, c0 + (w.outW - 1) * w.sw + 1], int64: true },
      );
      nodes.push({ op: 'Slice', inputs: [padded, `${tap}_s`, `${tap}_e`, `${name}_axes`, `${name}_steps`], outputs: [tap] });
      taps.push(tap);
    }
  }
  return { nodes, constants, taps };
}

/**
 * Graph nodes that build the im2col matrix of NHWC `input` in NHWC order: output `name` of shape
 * [batch·outH·outW, fh·fw·channels], column (kh, kw, c) holding tap (kh, kw) of {@link tapSlices} at
 * channel c. The taps joined by one Concat along the channels and a Reshape: with NHWC data no
 * transpose is needed, and a single Gemm then computes the convolution or its filter gradient.
 */
export function im2colNodes(input: string, name: string, w: ConvGeometry): { nodes: GraphNode[]; constants: GraphConstant[] } {
  const { nodes, constants, taps } = tapSlices(input, name, w);
  const joined = taps.length === 1 ? taps[0]! : `${name}_joined`;
  if (taps.length > 1) nodes.push({ op: 'Concat', inputs: taps, outputs: [joined], attributes: { axis: 3 } });
  constants.push({ name: `${name}_shape`, shape: [2], values: [w.batch * w.outH * w.outW, w.fh * w.fw * w.inC], int64: true });
  nodes.push({ op: 'Reshape', inputs: [joined, `${name}_shape`], outputs: [name] });
  return { nodes, constants };
}
