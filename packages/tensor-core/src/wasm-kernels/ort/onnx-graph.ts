/*
 * A minimal ONNX ModelProto encoder for the few-node graphs the ORT kernels run (a MatMul, a Conv with
 * its transposes, ...). tensor-core does not depend on onnx-io (dependencies point the other way), and
 * these graphs need only a handful of the proto's fields, written here by hand (proto2 wire format:
 * varints, length-delimited fields, unpacked repeated scalars).
 */

/** An attribute value: an int, a float, a string or a list of ints. */
export type AttributeValue = number | string | readonly number[] | { readonly float: number };

/** One node of a graph. */
export interface GraphNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
  /** Operator domain; '' (the default ONNX domain) when absent. */
  readonly domain?: string;
}

/** A float32 graph input or output with a fixed shape. */
export interface GraphValue {
  readonly name: string;
  readonly shape: readonly number[];
}

/** A constant: float32 values, or int64 ones (shapes, axes) with `int64: true`. */
export interface GraphConstant {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: readonly number[];
  readonly int64?: boolean;
}

/** A graph of float32 values. */
export interface GraphSpec {
  readonly nodes: readonly GraphNode[];
  readonly inputs: readonly GraphValue[];
  readonly outputs: readonly GraphValue[];
  readonly constants?: readonly GraphConstant[];
}

/** ONNX opset the graphs are written for. */
export const OPSET = 17;
const IR_VERSION = 8;
const FLOAT = 1;
const INT64 = 7;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

class Writer {
  private readonly bytes: number[] = [];

  varint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`onnx-graph: cannot encode ${value} as a varint`);
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  int(field: number, value: number): this {
    return this.tag(field, 0).varint(value);
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const buf = new DataView(new ArrayBuffer(4));
    buf.setFloat32(0, value, true);
    for (let i = 0; i < 4; i++) this.bytes.push(buf.getUint8(i));
    return this;
  }

  bytesField(field: number, data: Uint8Array | readonly number[]): this {
    this.tag(field, 2).varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytesField(field, inner.bytes);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

function attribute(w: Writer, name: string, value: AttributeValue): void {
  w.string(1, name);
  if (typeof value === 'number') w.int(3, value).int(20, ATTR_INT);
  else if (typeof value === 'string') w.string(4, value).int(20, ATTR_STRING);
  else if ('float' in value) w.float(2, value.float).int(20, ATTR_FLOAT);
  else {
    for (const v of value) w.int(8, v);
    w.int(20, ATTR_INTS);
  }
}

function valueInfo(w: Writer, value: GraphValue): void {
  w.string(1, value.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, FLOAT);
      tensor.message(2, (shape) => {
        for (const d of value.shape) shape.message(1, (dim) => dim.int(1, d));
      });
    }),
  );
}

function constant(w: Writer, c: GraphConstant): void {
  for (const d of c.shape) w.int(1, d);
  w.int(2, c.int64 ? INT64 : FLOAT);
  w.string(8, c.name);
  const data = c.int64 ? BigInt64Array.from(c.values, (v) => BigInt(v)) : Float32Array.from(c.values);
  w.bytesField(9, new Uint8Array(data.buffer));
}

/** Serialises `spec` as an ONNX model (opset {@link OPSET}, plus `com.microsoft` 1 when a node uses it). */
export function encodeModel(spec: GraphSpec): Uint8Array {
  const w = new Writer();
  w.int(1, IR_VERSION);
  w.string(2, 'shrinkray');
  w.message(7, (g) => {
    spec.nodes.forEach((node, i) => {
      g.message(1, (n) => {
        for (const input of node.inputs) n.string(1, input);
        for (const output of node.outputs) n.string(2, output);
        n.string(3, `n${i}`);
        n.string(4, node.op);
        for (const [name, value] of Object.entries(node.attributes ?? {})) n.message(5, (a) => attribute(a, name, value));
        if (node.domain) n.string(7, node.domain);
      });
    });
    g.string(2, 'kernel');
    for (const c of spec.constants ?? []) g.message(5, (t) => constant(t, c));
    for (const input of spec.inputs) g.message(11, (v) => valueInfo(v, input));
    for (const output of spec.outputs) g.message(12, (v) => valueInfo(v, output));
  });
  w.message(8, (o) => o.string(1, '').int(2, OPSET));
  if (spec.nodes.some((n) => n.domain === 'com.microsoft')) w.message(8, (o) => o.string(1, 'com.microsoft').int(2, 1));
  return w.finish();
}
