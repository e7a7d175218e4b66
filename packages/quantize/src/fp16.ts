import { AttributeType, attr, DataType, floatsFromProto, getAttr, type ModelProto, type NodeProto, type TensorProto } from '@shrinkray/onnx-io';
import { nodeLabel } from './graph.js';
import type { QuantizedNode, SkippedNode } from './plan.js';
import { startRewrite } from './rewrite.js';

/** Largest finite float16. */
export const FLOAT16_MAX = 65504;

/** Converts a float32 to IEEE float16 bits (round to nearest even); values beyond the range become ±Inf. */
export function toHalf(value: number): number {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  f[0] = value;
  const x = u[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | half;
}

/** A FLOAT16 copy of float values, clamping values beyond ±65504; returns how many were clamped. */
export function halfTensor(name: string, values: Float32Array, dims: readonly number[]): { tensor: TensorProto; clamped: number } {
  const bits = new Uint16Array(values.length);
  let clamped = 0;
  for (let i = 0; i < values.length; i++) {
    let v = values[i]!;
    if (v > FLOAT16_MAX || v < -FLOAT16_MAX) {
      v = Math.sign(v) * FLOAT16_MAX;
      clamped++;
    }
    bits[i] = toHalf(v);
  }
  return { tensor: { name, dims: [...dims], dataType: DataType.FLOAT16, rawData: new Uint8Array(bits.buffer) }, clamped };
}

/** Ops whose outputs are integers or booleans (an excluded node's reads and writes of them need no Cast). */
const nonFloatOps = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero', 'Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);

/** Inputs that ONNX requires in float32 whatever the data type (Resize roi/scales). */
const floatOnlyInputs: Record<string, readonly number[]> = { Resize: [1, 2], Upsample: [1] };

/** Options of `applyFp16`. */
export interface Fp16Options {
  exclude?: readonly string[];
}

/** What `applyFp16` did. */
export interface Fp16Result {
  model: ModelProto;
  quantized: QuantizedNode[];
  skipped: SkippedNode[];
  /** Initializer values outside float16's range, clamped to ±65504. */
  clamped: number;
  /** Initializers converted. */
  converted: number;
}

/**
 * Float16 weights and compute: every float32 initializer, Constant and Cast-to-float becomes float16;
 * float32 graph inputs are cast to float16 on the way in and float32 graph outputs cast back, so the
 * model's interface stays float32. Excluded nodes keep float32 (Casts around their float activations;
 * values produced by integer-valued ops such as Shape or ArgMax are passed as they are). Initializer
 * values beyond ±65504 are clamped and counted.
 */
export function applyFp16(model: ModelProto, options: Fp16Options = {}): Fp16Result {
  const { out, graph, index, exclude, quantized, skipped } = startRewrite(model, options.exclude);
  let clamped = 0;
  let converted = 0;
  const excludedNodes = new Set(graph.node.filter((n, i) => exclude.has(nodeLabel(n, i)) || exclude.has(n.opType)));
  const keepFloat = new Set<string>();
  for (const n of graph.node) {
    const floatOnly = floatOnlyInputs[n.opType] ?? [];
    n.input.forEach((name, k) => {
      if (excludedNodes.has(n) || floatOnly.includes(k)) keepFloat.add(name);
    });
  }
  const halfReaders = new Set(graph.node.filter((n) => !excludedNodes.has(n)).flatMap((n) => n.input.filter((_, k) => !(floatOnlyInputs[n.opType] ?? []).includes(k))));
  const inits: TensorProto[] = [];
  const twins = new Set<string>();
  for (const t of graph.initializer) {
    const name = t.name ?? '';
    if ((t.dataType ?? 0) !== DataType.FLOAT || (keepFloat.has(name) && !halfReaders.has(name))) {
      inits.push(t);
      continue;
    }
    const h = halfTensor(name, floatsFromProto(t), (t.dims ?? []).map(Number));
    clamped += h.clamped;
    converted++;
    inits.push(h.tensor);
    if (keepFloat.has(name)) {
      // Read as float32 by an excluded node too: keep a float32 twin.
      const twin = index.fresh(`${name}_float32`);
      twins.add(twin);
      inits.push({ ...t, name: twin });
      for (const n of graph.node) if (excludedNodes.has(n) || (floatOnlyInputs[n.opType] ?? []).length > 0) n.input = n.input.map((i, k) => (i === name && (excludedNodes.has(n) || (floatOnlyInputs[n.opType] ?? []).includes(k)) ? twin : i));
    }
  }
  graph.initializer = inits;
  const nodes: NodeProto[] = [];
  const cast = (from: string, to: string, type: number, label: string): NodeProto => ({ opType: 'Cast', name: index.fresh(label), input: [from], output: [to], attribute: [attr.int('to', type)] });
  // Graph inputs: cast to float16 for the nodes that compute in float16.
  for (const v of graph.input) {
    if (v.type?.tensorType?.elemType !== DataType.FLOAT || index.isInitializer(v.name)) continue;
    const half = index.fresh(`${v.name}_fp16`);
    nodes.push(cast(v.name, half, DataType.FLOAT16, `${v.name}_CastToFloat16`));
    for (const n of graph.node) if (!excludedNodes.has(n)) n.input = n.input.map((i) => (i === v.name ? half : i));
  }
  // Graph outputs: the producer writes a float16 value, cast back to the float32 output name.
  const outputCasts: NodeProto[] = [];
  for (const v of graph.output) {
    if (v.type?.tensorType?.elemType !== DataType.FLOAT) continue;
    const producer = index.producer.get(v.name);
    if (!producer || excludedNodes.has(producer)) continue;
    const half = index.fresh(`${v.name}_fp16`);
    producer.output = producer.output.map((o) => (o === v.name ? half : o));
    for (const n of graph.node) if (n !== producer && !excludedNodes.has(n)) n.input = n.input.map((i) => (i === v.name ? half : i));
    outputCasts.push(cast(half, v.name, DataType.FLOAT, `${v.name}_CastToFloat32`));
  }
  graph.node.forEach((n, i) => {
    const label = nodeLabel(n, i);
    if (excludedNodes.has(n)) {
      // float32 island: cast float16 activations in, and its outputs back to float16.
      const inputs = n.input.map((name) => {
        const producer = index.producer.get(name);
        const floatValue = producer !== undefined && !nonFloatOps.has(producer.opType) && !(producer.opType === 'Cast' && getAttr.int(producer, 'to', 1) !== DataType.FLOAT);
        if (!floatValue || twins.has(name)) return name;
        const f = index.fresh(`${name}_to_float32`);
        nodes.push(cast(name, f, DataType.FLOAT, `${name}_CastToFloat32_for_${label}`));
        return f;
      });
      n.input = inputs;
      const outputs = n.output.map((name) => {
        if (name === '' || nonFloatOps.has(n.opType) || graph.output.some((v) => v.name === name)) return name;
        return index.fresh(`${name}_float32`);
      });
      const casts = n.output.map((name, k) => (outputs[k] === name ? undefined : cast(outputs[k]!, name, DataType.FLOAT16, `${name}_CastToFloat16`))).filter((c): c is NodeProto => c !== undefined);
      n.output = outputs;
      nodes.push(n, ...casts);
      skipped.push({ node: label, opType: n.opType, reason: 'excluded' });
      return;
    }
    if (n.opType === 'Cast' && (n.attribute ?? []).some((a) => a.name === 'to' && Number(a.i) === DataType.FLOAT)) {
      n.attribute = (n.attribute ?? []).map((a) => (a.name === 'to' ? attr.int('to', DataType.FLOAT16) : a));
    }
    for (const a of n.attribute ?? []) {
      if (a.type === AttributeType.TENSOR && a.t && (a.t.dataType ?? 0) === DataType.FLOAT && (n.opType === 'Constant' || n.opType === 'ConstantOfShape')) {
        const h = halfTensor(a.t.name ?? '', floatsFromProto(a.t), (a.t.dims ?? []).map(Number));
        clamped += h.clamped;
        a.t = h.tensor;
      }
    }
    nodes.push(n);
    quantized.push({ node: label, opType: n.opType, how: 'float16' });
  });
  graph.node = [...nodes, ...outputCasts];
  graph.valueInfo = [];
  return { model: out, quantized, skipped, clamped, converted };
}
