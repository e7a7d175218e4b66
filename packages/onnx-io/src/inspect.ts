import { shapeOf } from './builder.js';
import { runtimeInputs } from './graph-utils.js';
import { encodeOnnx } from './io.js';
import { dataTypeName } from './tensor-proto.js';
import { DataType, type Dim, type ModelProto, type TensorProto, type ValueInfoProto } from './types.js';

/** A graph input or output: name, element type and declared shape. */
export interface ValueSummary {
  name: string;
  dtype: string;
  shape: Dim[];
}

/** One initializer's size and sparsity. */
export interface InitializerSummary {
  name: string;
  dtype: string;
  shape: number[];
  elements: number;
  zeros: number;
}

/** What `inspect` reports. Key names match the CLI's `--json` contract (`params`, `ops`, ...). */
export interface OnnxSummary {
  /** Number of floating-point parameters (elements of float initializers). */
  params: number;
  /** Op histogram: op type -> node count (domain-prefixed for non-default domains). */
  ops: Record<string, number>;
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  /** Fraction of float parameters that are exactly zero (0 when there are none). */
  sparsity: number;
  /** File size in bytes when known (bytes given or encoded size). */
  bytes: number;
  /** Default-domain opset version. */
  opset: number;
  irVersion: number;
  producer: string;
  nodes: number;
  initializers: InitializerSummary[];
}

const floatTypes = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16]);

function countZeros(t: TensorProto, elements: number): number {
  const code = t.dataType ?? 0;
  let zeros = 0;
  if (t.rawData && t.rawData.length > 0) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const size = code === DataType.DOUBLE ? 8 : code === DataType.FLOAT ? 4 : 2;
    for (let i = 0; i < elements; i++) {
      const v = size === 8 ? view.getFloat64(i * 8, true) : size === 4 ? view.getFloat32(i * 4, true) : view.getUint16(i * 2, true) & 0x7fff;
      if (v === 0) zeros++;
    }
    return zeros;
  }
  const values = code === DataType.DOUBLE ? t.doubleData : code === DataType.FLOAT ? t.floatData : t.int32Data;
  for (const v of values ?? []) if ((code === DataType.FLOAT16 || code === DataType.BFLOAT16 ? v & 0x7fff : v) === 0) zeros++;
  return zeros;
}

function summarise(v: ValueInfoProto): ValueSummary {
  const code = v.type?.tensorType?.elemType;
  return { name: v.name, dtype: dataTypeName(code).toLowerCase(), shape: shapeOf(v) ?? [] };
}

/**
 * Summarises a model: op histogram, parameter count, size, opset, inputs/outputs with shapes and
 * the sparsity of its float initializers. `bytes` is the file size when the file's bytes (or their
 * length) are given, else the size of the encoded model.
 *
 * @example
 * const summary = inspect(await loadOnnx('m.onnx'), (await stat('m.onnx')).size);
 */
export function inspect(model: ModelProto, bytes?: Uint8Array | number): OnnxSummary {
  const ops: Record<string, number> = {};
  for (const n of model.graph.node) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
    ops[key] = (ops[key] ?? 0) + 1;
  }
  let params = 0;
  let zeros = 0;
  const initializers: InitializerSummary[] = [];
  for (const t of model.graph.initializer) {
    const shape = (t.dims ?? []).map(Number);
    const elements = shape.reduce((a, b) => a * b, 1);
    const isFloat = floatTypes.has(t.dataType ?? 0);
    const z = isFloat ? countZeros(t, elements) : 0;
    if (isFloat) {
      params += elements;
      zeros += z;
    }
    initializers.push({ name: t.name ?? '', dtype: dataTypeName(t.dataType).toLowerCase(), shape, elements, zeros: z });
  }
  const size = typeof bytes === 'number' ? bytes : bytes ? bytes.length : encodeOnnx(model).length;
  return {
    params,
    ops,
    inputs: runtimeInputs(model.graph).map(summarise),
    outputs: model.graph.output.map(summarise),
    sparsity: params === 0 ? 0 : zeros / params,
    bytes: size,
    opset: model.opsetImport.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version ?? 0,
    irVersion: model.irVersion,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    nodes: model.graph.node.length,
    initializers,
  };
}
