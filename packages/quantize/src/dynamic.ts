import { attr, DataType, floatsFromProto, getAttr, type ModelProto, type NodeProto, type TensorProto } from '@shrinkray/onnx-io';
import { floatTensor, int8Tensor, nodeLabel } from './graph.js';
import type { QuantizedNode, SkippedNode } from './plan.js';
import { gatherTableRefusal, int8Table, int8TableHow } from './gather.js';
import { quantizeWeight } from './quant-math.js';
import { startRewrite } from './rewrite.js';

/** Options of `applyDynamic`. */
export interface DynamicOptions {
  /** One weight scale per output column instead of one per tensor. */
  perChannel: boolean;
  exclude?: readonly string[];
  /** Only these nodes (for the sensitivity report). */
  only?: ReadonlySet<string>;
  /** Store embedding tables (Gather of a constant `[rows, columns]` table, axis 0) in int8 (default true). */
  gather?: boolean;
}

/** Transposes a row-major `[rows, cols]` matrix. */
function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

/**
 * Dynamic int8 quantization of MatMul and Gemm nodes with constant 2-D weights: the weight is stored
 * as int8 `[K, N]` (symmetric, per tensor or per output column), the activation is quantized at run
 * time by DynamicQuantizeLinear (uint8, its own scale per run), multiplied by MatMulInteger into int32,
 * cast to float and scaled by `activationScale * weightScale`, and the Gemm bias is added in float.
 * ONNX Runtime fuses this chain into one DynamicQuantizeMatMul kernel. Embedding tables (a Gather of a
 * constant 2-D table) are stored in int8 with their looked-up rows dequantized, unless `gather: false`.
 * Other nodes stay float.
 */
export function applyDynamic(model: ModelProto, options: DynamicOptions): { model: ModelProto; quantized: QuantizedNode[]; skipped: SkippedNode[] } {
  const { out, graph, index, exclude, quantized, skipped } = startRewrite(model, options.exclude);
  const newInits: TensorProto[] = [];
  const replaced = new Set<string>();
  const dynamicInputs = new Map<string, { q: string; scale: string; zp: string; node: NodeProto }>();
  const nodes: NodeProto[] = [];
  const visit = (node: NodeProto, i: number): void => {
    const label = nodeLabel(node, i);
    const keep = (reason: string): void => {
      skipped.push({ node: label, opType: node.opType, reason });
      nodes.push(node);
    };
    if (node.opType === 'Gather') {
      const refusal = exclude.has(label) || exclude.has(node.opType) ? 'excluded' : options.only && !options.only.has(label) ? 'not selected' : gatherTableRefusal(node, index, options);
      if (refusal) {
        keep(refusal);
        return;
      }
      const table = int8Table(node, index, options.perChannel);
      newInits.push(...table.initializers);
      replaced.add(table.replaced);
      nodes.push(node, table.dequantize);
      quantized.push({ node: label, opType: node.opType, how: int8TableHow(options.perChannel) });
      return;
    }
    if (node.opType !== 'MatMul' && node.opType !== 'Gemm') {
      keep(`dynamic mode quantizes MatMul and Gemm only (${node.opType} runs in float32)`);
      return;
    }
    if (exclude.has(label) || exclude.has(node.opType)) {
      keep('excluded');
      return;
    }
    if (options.only && !options.only.has(label)) {
      keep('not selected');
      return;
    }
    const w = index.initializers.get(node.input[1] ?? '');
    if (!w || (w.dims ?? []).length !== 2 || (w.dataType ?? 0) !== DataType.FLOAT) {
      keep('its weight is not a constant float32 matrix');
      return;
    }
    const isGemm = node.opType === 'Gemm';
    if (isGemm && (getAttr.float(node, 'alpha', 1) !== 1 || getAttr.float(node, 'beta', 1) !== 1 || getAttr.int(node, 'transA', 0) !== 0)) {
      {
      keep('Gemm with alpha/beta other than 1 or transA');
      return;
    }
    }
    const bias = isGemm ? node.input[2] : undefined;
    const biasTensor = bias ? index.initializers.get(bias) : undefined;
    if (bias && (!biasTensor || (biasTensor.dims ?? []).length !== 1)) {
      keep('its bias is not a constant vector');
      return;
    }
    const [d0, d1] = (w.dims ?? []).map(Number) as [number, number];
    const transB = isGemm && getAttr.int(node, 'transB', 0) === 1;
    const kn = transB ? transpose(floatsFromProto(w), d0, d1) : floatsFromProto(w);
    const [k, n] = transB ? [d1, d0] : [d0, d1];
    const qw = quantizeWeight(kn, [k, n], options.perChannel ? 1 : undefined);
    const wName = w.name ?? 'weight';
    const wq = index.fresh(`${wName}_quantized`);
    const ws = index.fresh(`${wName}_scale`);
    const wz = index.fresh(`${wName}_zero_point`);
    const scaleDims = qw.axis === undefined ? [] : [n];
    newInits.push(int8Tensor(wq, qw.values, [k, n]), floatTensor(ws, qw.scales, scaleDims), int8Tensor(wz, new Int8Array(qw.scales.length), scaleDims));
    replaced.add(wName);
    const a = node.input[0]!;
    let dyn = dynamicInputs.get(a);
    if (!dyn) {
      dyn = { q: index.fresh(`${a}_quantized`), scale: index.fresh(`${a}_scale`), zp: index.fresh(`${a}_zero_point`), node };
      dynamicInputs.set(a, dyn);
      nodes.push({ opType: 'DynamicQuantizeLinear', name: index.fresh(`${a}_DynamicQuantizeLinear`), input: [a], output: [dyn.q, dyn.scale, dyn.zp], attribute: [] });
    }
    const base = node.name || `${node.opType}_${i}`;
    const y = node.output[0]!;
    const int32 = index.fresh(`${base}_int32`);
    const float = index.fresh(`${base}_float`);
    const scale = index.fresh(`${base}_output_scale`);
    const scaled = bias ? index.fresh(`${base}_scaled`) : y;
    nodes.push(
      { opType: 'MatMulInteger', name: index.fresh(`${base}_MatMulInteger`), input: [dyn.q, wq, dyn.zp, wz], output: [int32], attribute: [] },
      { opType: 'Cast', name: index.fresh(`${base}_Cast`), input: [int32], output: [float], attribute: [attr.int('to', DataType.FLOAT)] },
      { opType: 'Mul', name: index.fresh(`${base}_ScaleMul`), input: [dyn.scale, ws], output: [scale], attribute: [] },
      { opType: 'Mul', name: index.fresh(`${base}_Mul`), input: [float, scale], output: [scaled], attribute: [] },
    );
    if (bias) nodes.push({ opType: 'Add', name: index.fresh(`${base}_BiasAdd`), input: [scaled, bias], output: [y], attribute: [] });
    quantized.push({ node: label, opType: node.opType, how: `dynamic int8${qw.axis !== undefined ? ' (per-column weights)' : ''}` });
  };
  for (const [i, node] of graph.node.entries()) visit(node, i);
  graph.node = nodes;
  const stillRead = new Set(nodes.flatMap((n) => n.input));
  graph.initializer = [...graph.initializer.filter((t) => !replaced.has(t.name ?? '') || stillRead.has(t.name ?? '')), ...newInits];
  graph.input = graph.input.filter((v) => !replaced.has(v.name) || stillRead.has(v.name));
  graph.valueInfo = [];
  return { model: out, quantized, skipped };
}
