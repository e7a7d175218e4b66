import { attr } from '../attributes.js';
import { DataType } from '../types.js';
import { only as one, required as needWeight, samePads } from './builtins.js';
import type { ExportContext, ExportValue, LayerExporter } from './types.js';

/** Exporters for text models: token embeddings, 1-D convolutions and sequence pooling (`[N, L, C]` values). */

function firstInt(v: unknown, fallback: number): number {
  if (Array.isArray(v)) return Number(v[0] ?? fallback);
  return typeof v === 'number' ? v : fallback;
}

/** The graph input's element type when `name` is a graph input. */
function graphInputType(ctx: ExportContext, name: string): number | undefined {
  return ctx.builder.graph.input.find((i) => i.name === name)?.type?.tensorType?.elemType;
}

/** `name` as Gather indices: integer graph inputs as they are, anything else cast to INT64. */
function integerIds(ctx: ExportContext, name: string): string {
  const type = graphInputType(ctx, name);
  if (type === DataType.INT32 || type === DataType.INT64) return name;
  const ids = ctx.name('ids');
  ctx.builder.node('Cast', [name], [ids], [attr.int('to', DataType.INT64)], ctx.name('Cast'));
  return ids;
}

/** `Embedding` → `Gather(table, ids, axis=0)` (ids cast to INT64 unless they are an integer graph input). */
const embedding: LayerExporter = {
  className: 'Embedding',
  export(ctx) {
    const input = one(ctx);
    const table = needWeight(ctx, 'embeddings');
    const w = ctx.constant('embeddings', table.data, table.shape);
    const ids = integerIds(ctx, input.name);
    const out = ctx.name();
    ctx.builder.node('Gather', [w, ids], [out], [attr.int('axis', 0)], ctx.name('Gather'));
    return { name: out, layout: 'tfjs', shape: ctx.outputShape };
  },
};

/** `Conv1D` on `[N, L, C]`: Transpose to `[N, C, L]`, 1-D `Conv` (kernel `[k, Cin, Cout]` → `[Cout, Cin, k]`), activation, Transpose back. */
const conv1d: LayerExporter = {
  className: 'Conv1D',
  export(ctx) {
    const input = one(ctx);
    const format = ctx.config['dataFormat'];
    if (format !== undefined && format !== 'channelsLast') ctx.fail(`dataFormat '${String(format)}' is not supported (only channelsLast)`);
    const kernel = needWeight(ctx, 'kernel');
    const [k, cin, cout] = kernel.shape as [number, number, number];
    const w = new Float32Array(kernel.data.length);
    for (let t = 0; t < k; t++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) w[(o * cin + i) * k + t] = kernel.data[(t * cin + i) * cout + o]!;
    const bias = ctx.config['useBias'] === false ? undefined : ctx.weight('bias');
    const stride = firstInt(ctx.config['strides'], 1);
    const dilation = firstInt(ctx.config['dilationRate'], 1);
    const padding = ctx.config['padding'] ?? 'valid';
    let pads: [number, number] = [0, 0];
    if (padding === 'same') {
      const length = input.shape[1];
      if (typeof length !== 'number') return ctx.fail('same padding needs a known sequence length');
      pads = samePads(length, k, stride, dilation);
    } else if (padding !== 'valid') ctx.fail(`padding '${String(padding)}' is not supported`);
    const ncl = ctx.name('ncl');
    ctx.builder.node('Transpose', [input.name], [ncl], [attr.ints('perm', [0, 2, 1])], ctx.name('Transpose_in'));
    const inputs = [ncl, ctx.constant('kernel', w, [cout, cin, k])];
    if (bias) inputs.push(ctx.constant('bias', bias.data, bias.shape));
    const conv = ctx.name('conv');
    ctx.builder.node('Conv', inputs, [conv], [attr.ints('kernel_shape', [k]), attr.ints('strides', [stride]), attr.ints('dilations', [dilation]), attr.ints('pads', pads)], ctx.name('Conv'));
    // Element-wise activations run on the Conv output (ORT fuses Conv+Relu; the importer folds it back
    // into Conv1D); softmax, over channels, runs after the transpose back to [N, L, C].
    const act = (ctx.config['activation'] as string | undefined) ?? 'linear';
    const early = act !== 'softmax';
    const activated = early ? ctx.activation({ name: conv, layout: 'tfjs', shape: ctx.outputShape }, act).name : conv;
    const out = ctx.name('nlc');
    ctx.builder.node('Transpose', [activated], [out], [attr.ints('perm', [0, 2, 1])], ctx.name('Transpose_out'));
    const value: ExportValue = { name: out, layout: 'tfjs', shape: ctx.outputShape };
    return early ? value : ctx.activation(value, act);
  },
};

function reduceOverSequence(ctx: ExportContext, op: 'ReduceMax' | 'ReduceMean'): ExportValue {
  const input = one(ctx);
  if (input.shape.length !== 3) ctx.fail(`needs a rank-3 input [N, L, C], got [${input.shape.join(',')}]`);
  const out = ctx.name();
  ctx.builder.node(op, [input.name], [out], [attr.ints('axes', [1]), attr.int('keepdims', 0)], ctx.name(op));
  return { name: out, layout: 'tfjs', shape: ctx.outputShape };
}

/** `GlobalMaxPooling1D` → `ReduceMax(axes=[1], keepdims=0)`. */
const globalMaxPooling1d: LayerExporter = { className: 'GlobalMaxPooling1D', export: (ctx) => reduceOverSequence(ctx, 'ReduceMax') };
/** `GlobalAveragePooling1D` → `ReduceMean(axes=[1], keepdims=0)`. */
const globalAveragePooling1d: LayerExporter = { className: 'GlobalAveragePooling1D', export: (ctx) => reduceOverSequence(ctx, 'ReduceMean') };

/** The vocabulary size of the `Embedding` layer producing this layer's first input, when it is one. */
function embeddingVocab(ctx: ExportContext): number | undefined {
  const inbound = (ctx.layer.inboundNodes[0] as unknown as { inboundLayers?: { getClassName(): string; getConfig(): Record<string, unknown> }[] } | undefined)?.inboundLayers?.[0];
  if (!inbound || inbound.getClassName() !== 'Embedding') return undefined;
  const v = Number(inbound.getConfig()['inputDim']);
  return Number.isInteger(v) && v > 0 ? v : undefined;
}

/**
 * tensor-core's `MaskedMeanPooling1D([embeddings, ids])`: `ReduceSum(e·m, 1) / Max(ReduceSum(m, 1), 1)`
 * with the mask `m` looked up from a `[V, 1]` table when the embeddings come from an `Embedding` of
 * V rows (ids outside the vocabulary already fail in that layer), else `Cast(Not(Equal(ids, padId)))`.
 */
const maskedMeanPooling1d: LayerExporter = {
  className: 'MaskedMeanPooling1D',
  export(ctx) {
    const emb = ctx.inputs[0];
    const ids = ctx.inputs[1];
    if (ctx.inputs.length !== 2 || !emb || !ids) return ctx.fail(`expects [embeddings, token ids], got ${ctx.inputs.length} inputs`);
    const padId = Number(ctx.config['padId']);
    if (!Number.isInteger(padId)) ctx.fail(`padId must be an integer, got ${String(ctx.config['padId'])}`);
    const b = ctx.builder;
    const vocab = embeddingVocab(ctx);
    const mask3 = ctx.name('mask');
    if (vocab !== undefined && padId >= 0 && padId < vocab) {
      // The mask as a lookup: Gather([V, 1] table of 1s with 0 at padId, ids) → [N, L, 1], one node.
      const table = new Float32Array(vocab).fill(1);
      table[padId] = 0;
      b.node('Gather', [ctx.constant('mask_table', table, [vocab, 1]), integerIds(ctx, ids.name)], [mask3], [attr.int('axis', 0)], ctx.name('Gather_mask'));
    } else {
      const idsF = ctx.name('ids_float');
      b.node('Cast', [ids.name], [idsF], [attr.int('to', DataType.FLOAT)], ctx.name('Cast_ids'));
      const isPad = ctx.name('is_pad');
      b.node('Equal', [idsF, ctx.constant('pad_id', new Float32Array([padId]), [])], [isPad], [], ctx.name('Equal'));
      const notPad = ctx.name('not_pad');
      b.node('Not', [isPad], [notPad], [], ctx.name('Not'));
      const mask = ctx.name('mask2');
      b.node('Cast', [notPad], [mask], [attr.int('to', DataType.FLOAT)], ctx.name('Cast_mask'));
      b.node('Unsqueeze', [mask, ctx.constant('axis2', BigInt64Array.from([2n]), [1])], [mask3], [], ctx.name('Unsqueeze'));
    }
    const axis1 = ctx.constant('axis1', BigInt64Array.from([1n]), [1]);
    const masked = ctx.name('masked');
    b.node('Mul', [emb.name, mask3], [masked], [], ctx.name('Mul'));
    const sum = ctx.name('sum');
    b.node('ReduceSum', [masked, axis1], [sum], [attr.int('keepdims', 0)], ctx.name('ReduceSum'));
    const count = ctx.name('count');
    b.node('ReduceSum', [mask3, axis1], [count], [attr.int('keepdims', 0)], ctx.name('ReduceSum_count'));
    const safe = ctx.name('count_safe');
    b.node('Max', [count, ctx.constant('one', new Float32Array([1]), [])], [safe], [], ctx.name('Max'));
    const out = ctx.name();
    b.node('Div', [sum, safe], [out], [], ctx.name('Div'));
    return { name: out, layout: 'tfjs', shape: ctx.outputShape };
  },
};

/** The text-model exporters shrinkray registers for itself. */
export const textExporters: readonly LayerExporter[] = [embedding, conv1d, globalMaxPooling1d, globalAveragePooling1d, maskedMeanPooling1d];
