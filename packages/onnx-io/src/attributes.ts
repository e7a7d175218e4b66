import { AttributeType, type AttributeProto, type GraphProto, type NodeProto, type TensorProto } from './types.js';

/** Attribute constructors with explicit ONNX types (an int and a float are different attributes). */
export const attr = {
  int: (name: string, value: number): AttributeProto => ({ name, type: AttributeType.INT, i: Math.trunc(value) }),
  float: (name: string, value: number): AttributeProto => ({ name, type: AttributeType.FLOAT, f: value }),
  string: (name: string, value: string): AttributeProto => ({ name, type: AttributeType.STRING, s: new TextEncoder().encode(value) }),
  ints: (name: string, values: readonly number[]): AttributeProto => ({ name, type: AttributeType.INTS, ints: values.map((v) => Math.trunc(v)) }),
  floats: (name: string, values: readonly number[]): AttributeProto => ({ name, type: AttributeType.FLOATS, floats: [...values] }),
  tensor: (name: string, value: TensorProto): AttributeProto => ({ name, type: AttributeType.TENSOR, t: value }),
  graph: (name: string, value: GraphProto): AttributeProto => ({ name, type: AttributeType.GRAPH, g: value }),
};

function find(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

/** Typed attribute readers with defaults. */
export const getAttr = {
  int(node: NodeProto, name: string, fallback: number): number {
    const a = find(node, name);
    return a?.i !== undefined ? Number(a.i) : fallback;
  },
  float(node: NodeProto, name: string, fallback: number): number {
    const a = find(node, name);
    return a?.f !== undefined ? a.f : fallback;
  },
  string(node: NodeProto, name: string, fallback: string): string {
    const a = find(node, name);
    return a?.s !== undefined ? new TextDecoder().decode(a.s) : fallback;
  },
  ints(node: NodeProto, name: string, fallback: readonly number[]): number[] {
    const a = find(node, name);
    return a?.ints !== undefined && (a.ints.length > 0 || a.type === AttributeType.INTS) ? a.ints.map(Number) : [...fallback];
  },
  floats(node: NodeProto, name: string, fallback: readonly number[]): number[] {
    const a = find(node, name);
    return a?.floats !== undefined && (a.floats.length > 0 || a.type === AttributeType.FLOATS) ? [...a.floats] : [...fallback];
  },
  tensor(node: NodeProto, name: string): TensorProto | undefined {
    return find(node, name)?.t;
  },
  has(node: NodeProto, name: string): boolean {
    return find(node, name) !== undefined;
  },
};
