import { attr, floatsFromProto, type ModelProto, type NodeProto, type TensorProto } from '@shrinkray/onnx-io';
import type { CalibrationRange } from './calibration/methods.js';
import { int8Table } from './gather.js';
import { floatTensor, GraphIndex, int8Tensor, int32Tensor, uint8Tensor } from './graph.js';
import type { StaticPlan, WeightPlan } from './plan.js';
import { asymmetricParams, type QParams, quantizeBias, quantizeWeight } from './quant-math.js';

/** The scale and zero-point initializers of one quantized activation. */
interface ActivationParams {
  params: QParams;
  /** Prefix of the value names made for this activation. */
  tag: string;
  scale: string;
  zeroPoint: string;
}

/**
 * Rewrites a float graph into QDQ form following `plan`: every planned activation gets a
 * QuantizeLinear -> DequantizeLinear pair right after its producer (scale and zero point from its
 * calibrated range, int8 asymmetric), shared activations reuse their source's pair parameters, weights
 * become int8 initializers read through DequantizeLinear (per-channel with `axis`), biases int32 with
 * scale `inputScale * weightScale`, embedding tables int8 with their gathered rows dequantized. Folded
 * Relu/Clip nodes are removed. Returns a new model.
 *
 * @throws Error when a planned activation has no calibrated range (a bug in the caller).
 */
export function applyStatic(model: ModelProto, plan: StaticPlan, ranges: ReadonlyMap<string, CalibrationRange>): ModelProto {
  const out = structuredClone(model);
  const graph = out.graph;
  const twin = new Map<NodeProto, NodeProto>(model.graph.node.map((n, i) => [n, graph.node[i]!] as const));
  const at = (node: NodeProto): NodeProto => twin.get(node) ?? node;
  // Remove folded activations: the producer writes the activation's output.
  const removed = new Set<NodeProto>();
  for (const { activation, producer } of plan.folded) {
    at(producer).output[0] = activation.output[0]!;
    removed.add(at(activation));
  }
  graph.node = graph.node.filter((n) => !removed.has(n));
  // The activation each bias scale depends on, read before inputs are rewired.
  const biasInputs = new Map(plan.biases.map((b) => [b, at(b.node).input[0]!] as const));
  const index = new GraphIndex(graph);
  const params = new Map<string, ActivationParams>();
  const newInits: TensorProto[] = [];
  const own = (name: string): ActivationParams => {
    const existing = params.get(name);
    if (existing) return existing;
    const range = ranges.get(name);
    if (!range) throw new Error(`no calibrated range for activation '${name}'`);
    const p = asymmetricParams(range.min, range.max);
    // Short names keep the file small; the QuantizeLinear reading `name` shows which value they belong to.
    const tag = `qdq${params.size}`;
    const scale = index.fresh(`${tag}_s`);
    const zeroPoint = index.fresh(`${tag}_zp`);
    newInits.push(floatTensor(scale, Float32Array.of(p.scale), []), int8Tensor(zeroPoint, Int8Array.of(p.zeroPoint), []));
    const entry = { params: p, scale, zeroPoint, tag };
    params.set(name, entry);
    return entry;
  };
  const paramsOf = (name: string): ActivationParams => own(plan.shared.get(name) ?? name);
  const quantizedTensors = new Set([...plan.activations, ...plan.shared.keys()]);
  const before = new Map<NodeProto, NodeProto[]>();
  const after = new Map<NodeProto | 'inputs', NodeProto[]>();
  const push = <K>(map: Map<K, NodeProto[]>, key: K, node: NodeProto): void => {
    const list = map.get(key);
    if (list) list.push(node);
    else map.set(key, [node]);
  };
  // Activations: Q after the producer, one DQ per reading node. A value read by one node is stored as
  // int8; one read by several as uint8 with the same grid (zero point + 128): on x86 ORT rewrites int8
  // Q/DQ pairs to uint8 for its kernels but only pairs whose Q has a single reader, and leaves the
  // others unfused.
  for (const name of quantizedTensors) {
    const p = paramsOf(name);
    const tag = index.fresh(p.tag);
    const producer = index.producer.get(name);
    const consumers = index.consumersOf(name);
    let zeroPoint = p.zeroPoint;
    if (consumers.length > 1) {
      zeroPoint = index.fresh(`${tag}_zpu8`);
      newInits.push(uint8Tensor(zeroPoint, Uint8Array.of(p.params.zeroPoint + 128), []));
    }
    const q = index.fresh(`${tag}_q`);
    push(after, producer ?? 'inputs', { opType: 'QuantizeLinear', input: [name, p.scale, zeroPoint], output: [q], attribute: [] });
    for (const consumer of consumers) {
      const dq = index.fresh(`${tag}_dq`);
      consumer.input = consumer.input.map((i) => (i === name ? dq : i));
      push(after, producer ?? 'inputs', { opType: 'DequantizeLinear', input: [q, p.scale, zeroPoint], output: [dq], attribute: [] });
    }
  }
  // Weights and biases.
  const weightScales = new Map<WeightPlan, Float32Array>();
  const replaced = new Set<string>();
  for (const w of plan.weights) {
    const node = at(w.node);
    const name = node.input[w.input]!;
    const t = index.initializers.get(name)!;
    const dims = (t.dims ?? []).map(Number);
    const qw = quantizeWeight(floatsFromProto(t), dims, w.axis);
    weightScales.set(w, qw.scales);
    const base = index.fresh(`${name}_q`);
    const scale = index.fresh(`${name}_s`);
    const dq = index.fresh(`${name}_dq`);
    const scaleDims = qw.axis === undefined ? [] : [qw.scales.length];
    newInits.push(int8Tensor(base, qw.values, dims), floatTensor(scale, qw.scales, scaleDims));
    // Conv's DQ goes without a zero point (its default, 0, is the symmetric weight's); ORT's QGemm and
    // QLinearMatMul fusions want it given.
    const zp = node.opType === 'Conv' ? undefined : index.fresh(`${name}_zp`);
    if (zp) newInits.push(int8Tensor(zp, new Int8Array(qw.scales.length), scaleDims));
    push(before, node, {
      opType: 'DequantizeLinear',
      input: zp ? [base, scale, zp] : [base, scale],
      output: [dq],
      attribute: qw.axis === undefined ? [] : [attr.int('axis', qw.axis)],
    });
    node.input[w.input] = dq;
    replaced.add(name);
  }
  for (const b of plan.biases) {
    const node = at(b.node);
    const name = node.input[2]!;
    const t = index.initializers.get(name)!;
    const inputScale = paramsOf(biasInputs.get(b)!).params.scale;
    const qb = quantizeBias(floatsFromProto(t), inputScale, weightScales.get(b.weight)!);
    const perChannel = qb.scales.length > 1;
    const base = index.fresh(`${name}_q`);
    const scale = index.fresh(`${name}_s`);
    const dq = index.fresh(`${name}_dq`);
    const scaleDims = perChannel ? [qb.scales.length] : [];
    newInits.push(int32Tensor(base, qb.values, [qb.values.length]), floatTensor(scale, qb.scales, scaleDims));
    const zp = node.opType === 'Conv' ? undefined : index.fresh(`${name}_zp`);
    if (zp) newInits.push(int32Tensor(zp, new Int32Array(qb.scales.length), scaleDims));
    push(before, node, { opType: 'DequantizeLinear', input: zp ? [base, scale, zp] : [base, scale], output: [dq], attribute: perChannel ? [attr.int('axis', 0)] : [] });
    node.input[2] = dq;
    replaced.add(name);
  }
  // Embedding tables: int8 table, Gather of int8 rows, DequantizeLinear of the rows.
  for (const g of plan.gathers) {
    const node = at(g.node);
    const table = int8Table(node, index, g.perColumn);
    newInits.push(...table.initializers);
    // first after the Gather: activation Q nodes placed after it read the dequantized rows
    after.set(node, [table.dequantize, ...(after.get(node) ?? [])]);
    replaced.add(table.replaced);
  }
  const nodes: NodeProto[] = [...(after.get('inputs') ?? [])];
  for (const n of graph.node) {
    nodes.push(...(before.get(n) ?? []), n, ...(after.get(n) ?? []));
  }
  graph.node = nodes;
  const stillRead = new Set(nodes.flatMap((n) => n.input));
  graph.initializer = [...graph.initializer, ...newInits].filter((t) => stillRead.has(t.name ?? ''));
  graph.input = graph.input.filter((v) => !replaced.has(v.name) || stillRead.has(v.name));
  graph.valueInfo = [];
  return out;
}
