import { Tensor, tfl } from '@shrinkray/tensor-core';
import { getAttr } from '../attributes.js';
import { samePads } from '../export/builtins.js';
import { DataType } from '../types.js';
import type { ImportContext, OpImporter } from './types.js';

/** Importers for text models: Cast of token ids, Gather (embedding lookup), 1-D Conv, and pooling over the sequence axis. */

function floatData(t: Tensor): Float32Array {
  return t.dtype === 'float32' ? (t.data as Float32Array) : Float32Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/**
 * `Cast` of a runtime value to an integer type or float: tfjs layers take token ids as they come
 * (Embedding casts them itself), so the value passes through. Other targets are refused.
 */
const cast: OpImporter = {
  opType: 'Cast',
  import(ctx) {
    const to = getAttr.int(ctx.node, 'to', 0);
    if (to !== DataType.INT64 && to !== DataType.INT32 && to !== DataType.FLOAT) ctx.fail(`Cast to type ${to} is not supported (only INT64, INT32, FLOAT)`);
    ctx.set(ctx.node.output[0]!, ctx.value(0));
  },
};

/** `Gather(table, ids, axis=0)` with a constant rank-2 table → an `Embedding` layer. */
const gather: OpImporter = {
  opType: 'Gather',
  import(ctx) {
    if (getAttr.int(ctx.node, 'axis', 0) !== 0) ctx.fail('only axis 0 (an embedding lookup) is supported');
    if (!ctx.isConstant(0)) ctx.fail('the gathered table must be an initializer');
    const table = ctx.constant(0);
    if (table.rank !== 2) ctx.fail(`the table must be [vocab, width], got [${table.shape.join(',')}]`);
    const [vocab, width] = table.shape as [number, number];
    const ids = ctx.value(1);
    if (ids.perm.some((a, i) => a !== i)) ctx.fail('token ids must not be transposed');
    const layer = tfl.layers.embedding({ inputDim: vocab, outputDim: width, name: ctx.layerName() });
    const out = ctx.apply(layer, ids.tensor, [new Tensor('float32', [vocab, width], floatData(table))]);
    ctx.set(ctx.node.output[0]!, { tensor: out, perm: [0, 1, 2] });
  },
};

/** A 1-D `Conv` (W `[M, C, k]`, group 1) on `[N, C, L]` → `Conv1D` on tfjs `[N, L, C]`. */
export function importConv1d(ctx: ImportContext): void {
  const w = ctx.constant(1);
  const [m, c, k] = w.shape as [number, number, number];
  if (getAttr.int(ctx.node, 'group', 1) !== 1) ctx.fail('grouped 1-D convolution is not supported');
  const [stride] = getAttr.ints(ctx.node, 'strides', [1]) as [number];
  const [dilation] = getAttr.ints(ctx.node, 'dilations', [1]) as [number];
  const [begin, end] = getAttr.ints(ctx.node, 'pads', [0, 0]) as [number, number];
  const input = ctx.withPerm(ctx.value(0), [0, 2, 1]);
  const length = input.shape[1];
  if (input.shape[2] !== c) ctx.fail(`W expects ${c} input channels, the input has ${input.shape[2]}`);
  let padding: 'valid' | 'same' = 'valid';
  if (begin !== 0 || end !== 0) {
    const same = typeof length === 'number' ? samePads(length, k, stride, dilation) : undefined;
    if (!same || same[0] !== begin || same[1] !== end) ctx.fail(`pads [${begin},${end}] are neither valid nor tfjs 'same'`);
    padding = 'same';
  }
  const src = floatData(w);
  const kernel = new Float32Array(src.length);
  for (let o = 0; o < m; o++) for (let i = 0; i < c; i++) for (let t = 0; t < k; t++) kernel[(t * c + i) * m + o] = src[(o * c + i) * k + t]!;
  const hasBias = ctx.node.input.length > 2 && ctx.node.input[2] !== '';
  const fused = ctx.fusableActivation(ctx.node.output[0]!, 3);
  const layer = tfl.layers.conv1d({ filters: m, kernelSize: k, strides: stride, dilationRate: dilation, padding, useBias: hasBias, activation: fused.activation as 'linear', name: ctx.layerName() });
  const weights = [new Tensor('float32', [k, c, m], kernel), ...(hasBias ? [new Tensor('float32', [m], floatData(ctx.constant(2)))] : [])];
  ctx.set(fused.output, { tensor: ctx.apply(layer, input, weights), perm: [0, 2, 1] });
}

/** `ReduceMax` / `ReduceMean` over axis 1 of a rank-3 `[N, L, C]` value, keepdims 0 → global 1-D pooling. */
function sequencePool(opType: 'ReduceMax' | 'ReduceMean'): OpImporter {
  return {
    opType,
    import(ctx) {
      const x = ctx.value(0);
      if (x.perm.length !== 3) ctx.fail(`only rank-3 [N, L, C] inputs are supported, got rank ${x.perm.length}`);
      const axes = ctx.node.input.length > 1 && ctx.node.input[1] ? Array.from(ctx.constant(1).data as ArrayLike<number | bigint>, Number) : getAttr.ints(ctx.node, 'axes', []);
      if (axes.length !== 1 || (axes[0] !== 1 && axes[0] !== -2) || getAttr.int(ctx.node, 'keepdims', 1) !== 0) ctx.fail('only axes=[1] with keepdims=0 (pooling over the sequence) is supported');
      const input = ctx.withPerm(x, [0, 1, 2]);
      const layer = opType === 'ReduceMax' ? tfl.layers.globalMaxPooling1d({ name: ctx.layerName() }) : tfl.layers.globalAveragePooling1d({ name: ctx.layerName() });
      ctx.set(ctx.node.output[0]!, { tensor: ctx.apply(layer, input), perm: [0, 1] });
    },
  };
}

/** The text-model importers shrinkray registers for itself. */
export const textImporters: readonly OpImporter[] = [cast, gather, sequencePool('ReduceMax'), sequencePool('ReduceMean')];
