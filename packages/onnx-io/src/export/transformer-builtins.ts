import { ATTENTION_MASK_VALUE, type ATTENTION_PROJECTIONS } from '@shrinkray/tensor-core';
import { attr } from '../attributes.js';
import { DataType } from '../types.js';
import { only as one, required as needWeight } from './builtins.js';
import type { ExportContext, ExportValue, LayerExporter } from './types.js';

/** Exporters for transformer text encoders: position embeddings, layer normalisation, self-attention. */

function rank3(ctx: ExportContext, value: ExportValue): [number, number] {
  const [, length, width] = value.shape;
  if (value.shape.length !== 3 || typeof length !== 'number' || typeof width !== 'number') ctx.fail(`needs [N, L, E] with known L and E, got [${value.shape.join(',')}]`);
  return [length, width];
}

/** tensor-core's `PositionEmbedding`: `Add(x, positions [L, E])`. */
const positionEmbedding: LayerExporter = {
  className: 'PositionEmbedding',
  export(ctx) {
    const input = one(ctx);
    rank3(ctx, input);
    const table = needWeight(ctx, 'positions');
    const out = ctx.name();
    ctx.builder.node('Add', [input.name, ctx.constant('positions', table.data, table.shape)], [out], [], ctx.name('Add'));
    return { name: out, layout: 'tfjs', shape: ctx.outputShape };
  },
};

/** `LayerNormalization` over the last axis (with scale and offset) → ONNX `LayerNormalization(axis=-1)` (opset 17). */
const layerNormalization: LayerExporter = {
  className: 'LayerNormalization',
  export(ctx) {
    const input = one(ctx);
    const axis = ctx.config['axis'];
    const axes = Array.isArray(axis) ? axis.map(Number) : [Number(axis)];
    const rank = input.shape.length;
    if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== rank - 1)) ctx.fail(`only normalisation over the last axis is supported, got axis ${JSON.stringify(axis)}`);
    if (ctx.config['center'] === false || ctx.config['scale'] === false) ctx.fail('center and scale must both be on');
    const gamma = needWeight(ctx, 'gamma');
    const beta = needWeight(ctx, 'beta');
    const out = ctx.name();
    const inputs = [ctx.inLayout(input, 'tfjs'), ctx.constant('gamma', gamma.data, gamma.shape), ctx.constant('beta', beta.data, beta.shape)];
    ctx.builder.node('LayerNormalization', inputs, [out], [attr.int('axis', -1), attr.float('epsilon', Number(ctx.config['epsilon'] ?? 1e-3))], ctx.name('LayerNormalization'));
    return { name: out, layout: 'tfjs', shape: ctx.outputShape };
  },
};

/**
 * tensor-core's `MultiHeadSelfAttention([x, ids])`. The padding mask comes first (the importer
 * anchors on it): `Unsqueeze(Where(Equal(Cast(ids, FLOAT), padId), mask value, 0), [1, 2])`
 * → `[N, 1, 1, L]`; then per projection `MatMul` + `Add`, heads by `Reshape [0, 0, H, d]` +
 * `Transpose` (keys straight to `[N, H, d, L]`), `MatMul`, `Mul(1/√d)`, `Add(mask)`, `Softmax`,
 * `MatMul` with the values, `Transpose` + `Reshape [0, 0, E]` and the output projection.
 */
const multiHeadSelfAttention: LayerExporter = {
  className: 'MultiHeadSelfAttention',
  export(ctx) {
    const [x, ids] = ctx.inputs;
    if (ctx.inputs.length !== 2 || !x || !ids) return ctx.fail(`expects [x, token ids], got ${ctx.inputs.length} inputs`);
    const [, width] = rank3(ctx, x);
    const heads = Number(ctx.config['heads']);
    const padId = Number(ctx.config['padId']);
    if (!Number.isInteger(heads) || heads < 1 || width % heads !== 0) ctx.fail(`heads ${String(ctx.config['heads'])} must divide the width ${width}`);
    if (!Number.isInteger(padId)) ctx.fail(`padId must be an integer, got ${String(ctx.config['padId'])}`);
    const d = width / heads;
    const b = ctx.builder;
    const node = (op: string, inputs: string[], suffix: string, attributes: ReturnType<typeof attr.int>[] = []): string => {
      const out = ctx.name(suffix);
      b.node(op, inputs, [out], attributes, ctx.name(`${op}_${suffix}`));
      return out;
    };
    // The mask first.
    const idsF = node('Cast', [ids.name], 'ids_float', [attr.int('to', DataType.FLOAT)]);
    const isPad = node('Equal', [idsF, ctx.constant('pad_id', new Float32Array([padId]), [])], 'is_pad');
    const bias = node('Where', [isPad, ctx.constant('mask_value', new Float32Array([ATTENTION_MASK_VALUE]), []), ctx.constant('zero', new Float32Array([0]), [])], 'mask_bias');
    const mask = node('Unsqueeze', [bias, ctx.constant('mask_axes', BigInt64Array.from([1n, 2n]), [2])], 'mask');
    const project = (p: (typeof ATTENTION_PROJECTIONS)[number], input: string): string => {
      const kernel = needWeight(ctx, `${p}/kernel`);
      const biasW = needWeight(ctx, `${p}/bias`);
      const mm = node('MatMul', [input, ctx.constant(`${p}/kernel`, kernel.data, kernel.shape)], `${p}_matmul`);
      return node('Add', [mm, ctx.constant(`${p}/bias`, biasW.data, biasW.shape)], p);
    };
    const splitShape = ctx.constant('split_shape', BigInt64Array.from([0n, 0n, BigInt(heads), BigInt(d)]), [4]);
    const split = (p: 'query' | 'key' | 'value', perm: number[]): string => {
      const r = node('Reshape', [project(p, x.name), splitShape], `${p}_heads`);
      return node('Transpose', [r], `${p}_t`, [attr.ints('perm', perm)]);
    };
    const q = split('query', [0, 2, 1, 3]);
    const kT = split('key', [0, 2, 3, 1]);
    const v = split('value', [0, 2, 1, 3]);
    const raw = node('MatMul', [q, kT], 'scores_raw');
    const scaled = node('Mul', [raw, ctx.constant('scale', new Float32Array([1 / Math.sqrt(d)]), [])], 'scores_scaled');
    const scores = node('Add', [scaled, mask], 'scores');
    const probs = node('Softmax', [scores], 'probs', [attr.int('axis', -1)]);
    const context = node('MatMul', [probs, v], 'context');
    const merged = node('Transpose', [context], 'context_t', [attr.ints('perm', [0, 2, 1, 3])]);
    const flat = node('Reshape', [merged, ctx.constant('merge_shape', BigInt64Array.from([0n, 0n, BigInt(width)]), [3])], 'merged');
    const out = project('output', flat);
    return { name: out, layout: 'tfjs', shape: ctx.outputShape };
  },
};

/** The transformer exporters shrinkray registers for itself. */
export const transformerExporters: readonly LayerExporter[] = [positionEmbedding, layerNormalization, multiHeadSelfAttention];
