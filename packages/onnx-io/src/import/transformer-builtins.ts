import { MaskedMeanPooling1D, MultiHeadSelfAttention, PositionEmbedding, Tensor, tfl } from '@shrinkray/tensor-core';
import { getAttr } from '../attributes.js';
import { DataType, type NodeProto } from '../types.js';
import { axesOf, floatConstant, inOrder, numbers, otherInput, producerOf, sameInts, scalarConstant, soleConsumer } from './graph-match.js';
import type { ImportContext, ImportValue, OpImporter, PatternImporter } from './types.js';

/**
 * Importers for transformer text encoders and masked mean pooling: the patterns onnx-io's exporters
 * write for tensor-core's `PositionEmbedding`, `MultiHeadSelfAttention` and `MaskedMeanPooling1D`,
 * and ONNX `LayerNormalization`.
 */

/** `LayerNormalization(axis=-1)` with constant scale (and bias) → tfjs `LayerNormalization`. */
const layerNormalization: OpImporter = {
  opType: 'LayerNormalization',
  import(ctx) {
    const x = ctx.value(0);
    const rank = x.perm.length;
    let axis = getAttr.int(ctx.node, 'axis', -1);
    if (axis < 0) axis += rank;
    if (axis !== rank - 1 || x.perm[rank - 1] !== rank - 1) ctx.fail(`only normalisation over the last axis is supported, got axis ${axis} of rank ${rank}`);
    if (ctx.node.output.slice(1).some((o) => o !== '' && ctx.consumers(o).length > 0)) ctx.fail('the Mean/InvStdDev outputs are not supported');
    const gamma = floatConstant(ctx.constant(1));
    const beta = ctx.node.input[2] ? floatConstant(ctx.constant(2)) : new Float32Array(gamma.length);
    const layer = tfl.layers.layerNormalization({ axis: -1, epsilon: getAttr.float(ctx.node, 'epsilon', 1e-5), name: ctx.layerName() });
    const weights = [new Tensor('float32', [gamma.length], gamma), new Tensor('float32', [beta.length], beta)];
    ctx.set(ctx.node.output[0]!, { tensor: ctx.apply(layer, x.tensor, weights), perm: x.perm });
  },
};

/** `Add(x [N, L, E], constant [L, E])` → `PositionEmbedding`. */
const positionEmbedding: PatternImporter = {
  name: 'position-embedding',
  anchor: 'Add',
  tryImport(ctx) {
    const constIndex = ctx.isConstant(1) ? 1 : ctx.isConstant(0) ? 0 : -1;
    if (constIndex < 0) return false;
    const table = ctx.constant(constIndex);
    const x = ctx.valueByName(ctx.node.input[1 - constIndex]!);
    if (!inOrder(x, 3) || table.rank !== 2 || table.shape[0] !== x.tensor.shape[1] || table.shape[1] !== x.tensor.shape[2]) return false;
    const layer = new PositionEmbedding({ name: ctx.layerName() });
    ctx.set(ctx.node.output[0]!, { tensor: ctx.apply(layer, x.tensor, [new Tensor('float32', [...table.shape], floatConstant(table))]), perm: [0, 1, 2] });
    return true;
  },
};

/** The token-id value feeding a `Cast(to FLOAT)` anchor, or undefined. */
function castIds(ctx: ImportContext): ImportValue | undefined {
  if (getAttr.int(ctx.node, 'to', 0) !== DataType.FLOAT) return undefined;
  const ids = ctx.valueByName(ctx.node.input[0]!);
  return inOrder(ids, 2) ? ids : undefined;
}

/** `Equal(x, padId)` reading `name` (the only reader), with its integer pad id. */
function padEqual(ctx: ImportContext, name: string): { node: NodeProto; padId: number } | undefined {
  const eq = soleConsumer(ctx, name, 'Equal');
  const padId = eq ? scalarConstant(ctx, otherInput(eq, name)) : undefined;
  return eq && padId !== undefined && Number.isInteger(padId) ? { node: eq, padId } : undefined;
}

/** `MatMul(x, W [E, M]) + b [M]` ending at `addOut`: the nodes, the input name and the weights in tfjs order. */
function projection(ctx: ImportContext, addOut: string | undefined): { nodes: NodeProto[]; input: string; kernel: Tensor; bias: Tensor } | undefined {
  const add = producerOf(ctx, addOut, 'Add');
  if (!add || !addOut) return undefined;
  const mmOut = add.input.find((i) => ctx.constantByName(i) === undefined);
  const mm = producerOf(ctx, mmOut, 'MatMul');
  const biasTensor = mmOut ? ctx.constantByName(otherInput(add, mmOut) ?? '') : undefined;
  const kernelTensor = mm ? ctx.constantByName(mm.input[1] ?? '') : undefined;
  if (!mm || !mmOut || !biasTensor || !kernelTensor || kernelTensor.rank !== 2 || ctx.consumers(mmOut).length !== 1) return undefined;
  const [e, m] = kernelTensor.shape as [number, number];
  if (biasTensor.size !== m) return undefined;
  return { nodes: [mm, add], input: mm.input[0]!, kernel: new Tensor('float32', [e, m], floatConstant(kernelTensor)), bias: new Tensor('float32', [m], floatConstant(biasTensor)) };
}

/** `Transpose(perm)(Reshape(projection, [0, 0, H, d]))` ending at `name`. */
function headsOf(ctx: ImportContext, name: string | undefined, perm: number[]): { nodes: NodeProto[]; input: string; kernel: Tensor; bias: Tensor; heads: number; d: number } | undefined {
  const t = producerOf(ctx, name, 'Transpose');
  if (!t || !sameInts(getAttr.ints(t, 'perm', []), perm)) return undefined;
  const r = producerOf(ctx, t.input[0], 'Reshape');
  const shape = r ? ctx.constantByName(r.input[1] ?? '') : undefined;
  const dims = shape ? numbers(shape) : [];
  if (!r || dims.length !== 4 || dims[0] !== 0 || dims[1] !== 0 || ctx.consumers(t.input[0]!).length !== 1) return undefined;
  const p = projection(ctx, r.input[0]);
  if (!p || ctx.consumers(r.input[0]!).length !== 1) return undefined;
  return { ...p, nodes: [...p.nodes, r, t], heads: dims[2]!, d: dims[3]! };
}

/**
 * The attention pattern `MultiHeadSelfAttention` exports, anchored at its mask's `Cast(ids, FLOAT)`:
 * Equal(padId) → Where(mask value, 0) → Unsqueeze([1, 2]) → Add to `MatMul(Q, Kᵀ)·(1/√d)` → Softmax
 * → MatMul with V → Transpose → Reshape [0, 0, E] → output projection.
 */
const multiHeadSelfAttention: PatternImporter = {
  name: 'multi-head-self-attention',
  anchor: 'Cast',
  tryImport(ctx) {
    const ids = castIds(ctx);
    const eq = ids ? padEqual(ctx, ctx.node.output[0]!) : undefined;
    const where = eq ? soleConsumer(ctx, eq.node.output[0], 'Where') : undefined;
    if (!ids || !eq || !where || where.input[0] !== eq.node.output[0]) return false;
    const maskValue = scalarConstant(ctx, where.input[1]);
    if (maskValue === undefined || maskValue > -1e4 || scalarConstant(ctx, where.input[2]) !== 0) return false;
    const unsqueeze = soleConsumer(ctx, where.output[0], 'Unsqueeze');
    if (!unsqueeze || !sameInts(axesOf(ctx, unsqueeze), [1, 2])) return false;
    const addMask = soleConsumer(ctx, unsqueeze.output[0], 'Add');
    const mul = addMask ? producerOf(ctx, otherInput(addMask, unsqueeze.output[0]!), 'Mul') : undefined;
    const scoresName = mul ? mul.input.find((i) => ctx.constantByName(i) === undefined) : undefined;
    const scale = mul && scoresName ? scalarConstant(ctx, otherInput(mul, scoresName)) : undefined;
    const scores = producerOf(ctx, scoresName, 'MatMul');
    if (!addMask || !mul || !scores || scale === undefined || ctx.consumers(mul.output[0]!).length !== 1 || ctx.consumers(scoresName!).length !== 1) return false;
    const q = headsOf(ctx, scores.input[0], [0, 2, 1, 3]);
    const k = headsOf(ctx, scores.input[1], [0, 2, 3, 1]);
    const softmax = soleConsumer(ctx, addMask.output[0], 'Softmax');
    const axis = softmax ? getAttr.int(softmax, 'axis', -1) : 0;
    const context = softmax && (axis === -1 || axis === 3) ? soleConsumer(ctx, softmax.output[0], 'MatMul') : undefined;
    const v = context && context.input[0] === softmax?.output[0] ? headsOf(ctx, context.input[1], [0, 2, 1, 3]) : undefined;
    if (!q || !k || !v || !softmax || !context) return false;
    const merge = soleConsumer(ctx, context.output[0], 'Transpose');
    const flat = merge && sameInts(getAttr.ints(merge, 'perm', []), [0, 2, 1, 3]) ? soleConsumer(ctx, merge.output[0], 'Reshape') : undefined;
    const width = q.heads * q.d;
    const flatShape = flat ? ctx.constantByName(flat.input[1] ?? '') : undefined;
    if (!flat || !flatShape || !sameInts(numbers(flatShape), [0, 0, width])) return false;
    const outMm = soleConsumer(ctx, flat.output[0], 'MatMul');
    const outAdd = outMm ? soleConsumer(ctx, outMm.output[0], 'Add') : undefined;
    const o = outAdd ? projection(ctx, outAdd.output[0]) : undefined;
    const x = ctx.valueByName(q.input);
    const sameShape = [q, k, v].every((p) => p.input === q.input && p.heads === q.heads && p.d === q.d && p.kernel.shape[0] === width && p.kernel.shape[1] === width);
    if (!o || !outAdd || !sameShape || !inOrder(x, 3) || x.tensor.shape[2] !== width || Math.abs(scale * Math.sqrt(q.d) - 1) > 1e-6) return false;
    const layer = new MultiHeadSelfAttention({ heads: q.heads, padId: eq.padId, name: ctx.layerName('attention') });
    const weights = [q, k, v, o].flatMap((p) => [p.kernel, p.bias]);
    const out = ctx.apply(layer, [x.tensor, ids.tensor], weights);
    for (const n of [eq.node, where, unsqueeze, addMask, mul, scores, softmax, context, merge!, flat, ...q.nodes, ...k.nodes, ...v.nodes, ...o.nodes]) ctx.fuse(n);
    ctx.set(outAdd.output[0]!, { tensor: out, perm: [0, 1, 2] });
    return true;
  },
};

/** The mask `[N, L, 1]` of masked mean pooling: its name, the ids, the pad id and the nodes computing it. */
interface PoolMask {
  mask: string;
  ids: ImportValue;
  padId: number;
  nodes: NodeProto[];
}

/** `Gather(table [V, 1] of 1s with one 0 at padId, ids)`: the lookup form of the mask. */
function gatherMask(ctx: ImportContext): PoolMask | undefined {
  if (!ctx.isConstant(0) || getAttr.int(ctx.node, 'axis', 0) !== 0) return undefined;
  const table = ctx.constant(0);
  if (table.rank !== 2 || table.shape[1] !== 1) return undefined;
  const values = numbers(table);
  const zeros = values.flatMap((v, i) => (v === 0 ? [i] : []));
  const ids = ctx.valueByName(ctx.node.input[1]!);
  if (zeros.length !== 1 || values.some((v) => v !== 0 && v !== 1) || !inOrder(ids, 2)) return undefined;
  return { mask: ctx.node.output[0]!, ids, padId: zeros[0]!, nodes: [] };
}

/** `Unsqueeze(Cast(Not(Equal(Cast(ids, FLOAT), padId)), FLOAT), [2])`: the comparison form of the mask. */
function compareMask(ctx: ImportContext): PoolMask | undefined {
  const ids = castIds(ctx);
  const eq = ids ? padEqual(ctx, ctx.node.output[0]!) : undefined;
  const not = eq ? soleConsumer(ctx, eq.node.output[0], 'Not') : undefined;
  const cast = not ? soleConsumer(ctx, not.output[0], 'Cast') : undefined;
  const unsqueeze = cast && getAttr.int(cast, 'to', 0) === DataType.FLOAT ? soleConsumer(ctx, cast.output[0], 'Unsqueeze') : undefined;
  const axes = unsqueeze ? axesOf(ctx, unsqueeze) : undefined;
  if (!ids || !eq || !not || !cast || !unsqueeze || !(sameInts(axes, [2]) || sameInts(axes, [-1]))) return undefined;
  return { mask: unsqueeze.output[0]!, ids, padId: eq.padId, nodes: [eq.node, not, cast, unsqueeze] };
}

/** `ReduceSum(axes=[1], keepdims=0)` reading `name` alone. */
function sumOverSequence(ctx: ImportContext, node: NodeProto | undefined): boolean {
  return node !== undefined && node.opType === 'ReduceSum' && sameInts(axesOf(ctx, node), [1]) && getAttr.int(node, 'keepdims', 1) === 0;
}

/** The rest of masked mean pooling after its mask: `ReduceSum(e·m, 1) / Max(ReduceSum(m, 1), 1)` → `MaskedMeanPooling1D`. */
function importMaskedMean(ctx: ImportContext, m: PoolMask | undefined): boolean {
  if (!m || ctx.isGraphOutput(m.mask)) return false;
  const users = ctx.consumers(m.mask);
  const mul = users.find((u) => u.opType === 'Mul');
  const count = users.find((u) => u.opType === 'ReduceSum');
  if (users.length !== 2 || !mul || !sumOverSequence(ctx, count)) return false;
  const emb = ctx.valueByName(otherInput(mul, m.mask) ?? '');
  const sum = soleConsumer(ctx, mul.output[0], 'ReduceSum');
  const max = soleConsumer(ctx, count!.output[0], 'Max');
  const div = sum ? soleConsumer(ctx, sum.output[0], 'Div') : undefined;
  if (!inOrder(emb, 3) || !sumOverSequence(ctx, sum) || !max || !div || scalarConstant(ctx, otherInput(max, count!.output[0]!)) !== 1) return false;
  if (div.input[0] !== sum!.output[0] || div.input[1] !== max.output[0] || soleConsumer(ctx, max.output[0], 'Div') !== div) return false;
  const layer = new MaskedMeanPooling1D({ padId: m.padId, name: ctx.layerName('mean_pool') });
  const out = ctx.apply(layer, [emb.tensor, m.ids.tensor]);
  for (const n of [...m.nodes, mul, sum!, count!, max, div]) ctx.fuse(n);
  ctx.set(div.output[0]!, { tensor: out, perm: [0, 1] });
  return true;
}

/** Masked mean pooling with its mask looked up by `Gather` (what text-bag students export). */
const maskedMeanGather: PatternImporter = { name: 'masked-mean-pooling/gather', anchor: 'Gather', tryImport: (ctx) => importMaskedMean(ctx, gatherMask(ctx)) };
/** Masked mean pooling with its mask compared from the ids (after a transformer encoder). */
const maskedMeanCompare: PatternImporter = { name: 'masked-mean-pooling/compare', anchor: 'Cast', tryImport: (ctx) => importMaskedMean(ctx, compareMask(ctx)) };

/** The transformer op importers shrinkray registers for itself. */
export const transformerImporters: readonly OpImporter[] = [layerNormalization];
/** The pattern importers shrinkray registers for itself. */
export const transformerPatterns: readonly PatternImporter[] = [multiHeadSelfAttention, maskedMeanGather, maskedMeanCompare, positionEmbedding];
