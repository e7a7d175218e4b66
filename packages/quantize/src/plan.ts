import { getAttr, type ModelProto, type NodeProto } from '@shrinkray/onnx-io';
import { gatherTableRefusal, int8TableHow } from './gather.js';
import { GraphIndex, nodeLabel } from './graph.js';

/** A node the quantized model runs in int8 (or whose work was folded into an int8 neighbour). */
export interface QuantizedNode {
  node: string;
  opType: string;
  /** How: `int8` (QDQ around it), `int8 (shares input range)`, `folded into <node>`, `dynamic int8`, `float16`. */
  how: string;
}

/** A node left in float32, and why. */
export interface SkippedNode {
  node: string;
  opType: string;
  reason: string;
}

/** Op types with an int8 kernel that computes (their inputs and output get their own ranges). */
export const COMPUTE_OPS: ReadonlySet<string> = new Set(['Conv', 'Gemm', 'MatMul']);
/** Element-wise and pooling ops with ORT int8 kernels (QLinearAdd, QLinearAveragePool, ...). */
export const ARITHMETIC_OPS: ReadonlySet<string> = new Set(['Add', 'AveragePool', 'GlobalAveragePool', 'Concat']);
/** Ops that move int8 values without changing them: their output shares their input's range. */
export const PASSTHROUGH_OPS: ReadonlySet<string> = new Set(['MaxPool', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity']);
/** Activations whose clipping the int8 range of the producer's output performs (so they are removed). */
export const FOLDABLE_ACTIVATIONS: ReadonlySet<string> = new Set(['Relu', 'Clip']);

/** A weight to store as int8, with its quantization axis (undefined: per tensor). */
export interface WeightPlan {
  node: NodeProto;
  input: number;
  axis: number | undefined;
}

/** What static QDQ quantization will do to a graph, decided before calibration. */
export interface StaticPlan {
  /** Activations that get their own calibrated range. */
  activations: Set<string>;
  /** Activation -> the activation whose range it shares (outputs of MaxPool, Reshape, ...). */
  shared: Map<string, string>;
  weights: WeightPlan[];
  /** Bias inputs (Conv/Gemm input 2) stored as int32 with scale inputScale * weightScale. */
  biases: { node: NodeProto; weight: WeightPlan }[];
  /** Relu/Clip nodes removed: their producer writes their output directly. */
  folded: { activation: NodeProto; producer: NodeProto }[];
  /**
   * Gathers from a constant table (embeddings): the table is stored int8 (symmetric, per column with
   * `perColumn`) and the gathered rows are dequantized (a weight-only int8 lookup; the output stays float).
   */
  gathers: { node: NodeProto; perColumn: boolean }[];
  quantized: QuantizedNode[];
  skipped: SkippedNode[];
}

/** Which nodes to quantize: `exclude` names or op types stay float; `only` (node names) limits it to those. */
export interface PlanOptions {
  perChannel: boolean;
  exclude?: readonly string[];
  only?: ReadonlySet<string>;
  /** Store embedding tables (Gather of a constant `[rows, columns]` table, axis 0) in int8 (default true). */
  gather?: boolean;
  /** Tensors that are not float32 (found by running the graph): nodes reading or writing them stay as they are. */
  nonFloat?: ReadonlySet<string>;
}

function clipIsRelu(node: NodeProto, index: GraphIndex): boolean {
  if (node.opType === 'Relu') return true;
  const min = node.input[1];
  if (min === undefined || min === '') return getAttr.float(node, 'min', Number.NEGATIVE_INFINITY) <= 0 && node.input.length <= 1;
  const t = index.initializers.get(min);
  if (!t) return false;
  const raw = t.rawData;
  const v = raw && raw.length >= 4 ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getFloat32(0, true) : (t.floatData?.[0] ?? 0);
  return v <= 0;
}

function weightAxis(node: NodeProto, rank: number, perChannel: boolean): number | undefined {
  if (!perChannel) return undefined;
  if (node.opType === 'Conv') return 0;
  if (node.opType === 'Gemm') return getAttr.int(node, 'transB', 0) === 1 ? 0 : 1;
  return rank === 2 ? 1 : undefined;
}

/**
 * Tensors computed from constants and integer graph inputs alone, without any weight: attention-mask
 * biases (`(1 - mask) · -10000`), position ids, LayerNorm's epsilon. Quantizing an Add with one of
 * them would give the sum the mask's range (a -10000 bias leaves attention scores one int8 step).
 */
function inputOnlyTensors(model: ModelProto, index: GraphIndex): Set<string> {
  const out = new Set<string>();
  for (const input of model.graph.input) {
    const elem = input.type?.tensorType?.elemType;
    if (!index.initializers.has(input.name) && elem !== undefined && elem !== 1) out.add(input.name);
  }
  const known = (t: string): boolean => t === '' || out.has(t) || index.initializers.has(t);
  for (const node of model.graph.node) {
    const weighted = (node.opType === 'Gather' || COMPUTE_OPS.has(node.opType)) && node.input.some((t, k) => (node.opType === 'Gather' ? k === 0 : k === 1) && index.initializers.has(t));
    if (!weighted && node.input.every(known)) for (const o of node.output) out.add(o);
  }
  return out;
}

/**
 * Decides, for every node of a float graph, whether static QDQ quantization covers it, following how
 * ONNX Runtime fuses QDQ groups into int8 kernels: Conv/Gemm/MatMul quantize their activation inputs,
 * weights (int8, symmetric) and output; their bias becomes int32; Add, average pooling and Concat get
 * int8 inputs and output; MaxPool/Reshape/Flatten/Transpose/... reuse their input's range; a Relu (or a
 * Clip from <= 0) right after a quantized node is folded into that node's output range. Graph outputs
 * stay float32. A Gather from a constant 2-D float table (an embedding) stores the table in int8 and
 * dequantizes the looked-up rows (unless `gather: false`).
 */
export function planStatic(model: ModelProto, options: PlanOptions): StaticPlan {
  const graph = model.graph;
  const index = new GraphIndex(graph);
  const inputOnly = inputOnlyTensors(model, index);
  const exclude = new Set(options.exclude ?? []);
  const plan: StaticPlan = { activations: new Set(), shared: new Map(), weights: [], biases: [], folded: [], gathers: [], quantized: [], skipped: [] };
  /** Activations that will be int8 (own range or shared). */
  const isQuantized = (name: string): boolean => plan.activations.has(name) || plan.shared.has(name);
  const activation = (name: string): void => {
    if (name === '' || index.isInitializer(name) || index.outputs.has(name) || plan.shared.has(name)) return;
    plan.activations.add(name);
  };
  const quantizedProducers = new Set<NodeProto>();
  const visit = (node: NodeProto, i: number): void => {
    const label = nodeLabel(node, i);
    const skip = (reason: string): void => {
      plan.skipped.push({ node: label, opType: node.opType, reason });
    };
    if (node.domain && node.domain !== '' && node.domain !== 'ai.onnx') {
      skip(`custom-domain op (${node.domain})`);
      return;
    }
    if (exclude.has(label) || exclude.has(node.opType)) {
      skip('excluded');
      return;
    }
    if (options.only && !options.only.has(label) && !FOLDABLE_ACTIVATIONS.has(node.opType)) {
      skip('not selected');
      return;
    }
    const op = node.opType;
    if (op === 'Gather') {
      const refusal = gatherTableRefusal(node, index, options);
      if (refusal) skip(refusal);
      else {
        plan.gathers.push({ node, perColumn: options.perChannel });
        plan.quantized.push({ node: label, opType: op, how: int8TableHow(options.perChannel) });
      }
      return;
    }
    if (options.nonFloat && [...node.input, ...node.output].some((t) => options.nonFloat!.has(t))) {
      skip('reads or writes integer tensors (shape arithmetic)');
      return;
    }
    if (COMPUTE_OPS.has(op)) {
      const w = node.input[1] ?? '';
      const weight = index.initializers.get(w);
      if (op === 'Gemm' && (getAttr.float(node, 'alpha', 1) !== 1 || getAttr.float(node, 'beta', 1) !== 1 || getAttr.int(node, 'transA', 0) !== 0)) {
        {
      skip('Gemm with alpha/beta other than 1 or transA');
      return;
    }
      }
      if (op !== 'MatMul' && !weight) {
      skip('its weight is not a constant');
      return;
    }
      let plannedWeight: WeightPlan | undefined;
      if (weight) {
        const rank = (weight.dims ?? []).length;
        plannedWeight = { node, input: 1, axis: weightAxis(node, rank, options.perChannel) };
        plan.weights.push(plannedWeight);
      } else activation(w);
      const bias = node.input[2];
      if (bias !== undefined && bias !== '') {
        const b = index.initializers.get(bias);
        if (!b || (b.dims ?? []).length !== 1) {
          plan.weights.pop();
          {
      skip('its bias is not a constant vector');
      return;
    }
        }
        plan.biases.push({ node, weight: plannedWeight! });
      }
      activation(node.input[0] ?? '');
      activation(node.output[0] ?? '');
      quantizedProducers.add(node);
      plan.quantized.push({ node: label, opType: op, how: `int8${plannedWeight?.axis !== undefined ? ' (per-channel weights)' : ''}` });
      return;
    }
    if (ARITHMETIC_OPS.has(op)) {
      if (node.input.some((n) => index.isInitializer(n))) {
      skip(`${op} of a constant has no fused int8 kernel here`);
      return;
    }
      const computed = node.input.find((n) => inputOnly.has(n));
      if (computed !== undefined) {
        skip(`${op} of '${computed}', computed from constants and integer inputs alone (a mask, an epsilon, shape arithmetic): its range would swamp the other input's`);
        return;
      }
      for (const input of node.input) activation(input);
      activation(node.output[0] ?? '');
      quantizedProducers.add(node);
      plan.quantized.push({ node: label, opType: op, how: 'int8' });
      return;
    }
    if (PASSTHROUGH_OPS.has(op)) {
      const input = node.input[0] ?? '';
      const output = node.output[0] ?? '';
      if (node.output.length > 1 && node.output[1] !== '') {
      skip('second output (indices) is not quantizable');
      return;
    }
      if (!isQuantized(input)) {
      skip('its input stays float');
      return;
    }
      if (index.outputs.has(output)) {
      skip('its output is a graph output (kept float32)');
      return;
    }
      plan.shared.set(output, plan.shared.get(input) ?? input);
      plan.quantized.push({ node: label, opType: op, how: 'int8 (shares its input range)' });
      return;
    }
    if (FOLDABLE_ACTIVATIONS.has(op)) {
      const input = node.input[0] ?? '';
      const producer = index.producer.get(input);
      const output = node.output[0] ?? '';
      const foldable =
        producer !== undefined &&
        quantizedProducers.has(producer) &&
        plan.activations.has(input) &&
        index.consumersOf(input).length === 1 &&
        !index.outputs.has(output) &&
        clipIsRelu(node, index);
      if (!foldable) {
      skip(isQuantized(input) ? `${op} kept float (its input is read elsewhere, or it is not a clip at 0)` : 'its input stays float');
      return;
    }
      plan.activations.delete(input);
      plan.activations.add(output);
      plan.folded.push({ activation: node, producer });
      const producerLabel = nodeLabel(producer, graph.node.indexOf(producer));
      plan.quantized.push({ node: label, opType: op, how: `folded into the int8 output range of ${producerLabel}` });
      return;
    }
    skip(`no int8 kernel for ${op} in ONNX Runtime; runs in float32`);
  };
  for (const [i, node] of graph.node.entries()) visit(node, i);
  return plan;
}

/** Names of the nodes static quantization can cover on their own (for the sensitivity report). */
export function quantizableNodes(model: ModelProto, options: PlanOptions): string[] {
  const plan = planStatic(model, options);
  const own = new Set([...COMPUTE_OPS, ...ARITHMETIC_OPS]);
  return plan.quantized.filter((q) => own.has(q.opType)).map((q) => q.node);
}
