import { DataType, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '@shrinkray/onnx-io';

/** Lookups over one graph: who produces and who reads each value, and the initializers by name. */
export class GraphIndex {
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly initializers = new Map<string, TensorProto>();
  readonly outputs: Set<string>;
  readonly inputs: Set<string>;
  private readonly taken = new Set<string>();
  private counter = 0;

  constructor(readonly graph: GraphProto) {
    for (const t of graph.initializer) {
      this.initializers.set(t.name ?? '', t);
      this.taken.add(t.name ?? '');
    }
    for (const n of graph.node) {
      for (const o of n.output) {
        this.producer.set(o, n);
        this.taken.add(o);
      }
      for (const i of n.input) {
        if (i === '') continue;
        const list = this.consumers.get(i);
        if (list) list.push(n);
        else this.consumers.set(i, [n]);
      }
      if (n.name) this.taken.add(n.name);
    }
    this.outputs = new Set(graph.output.map((v) => v.name));
    this.inputs = new Set(graph.input.map((v) => v.name));
    for (const v of graph.input) this.taken.add(v.name);
  }

  /** A value (or node) name not used anywhere in the graph yet, derived from `base`. */
  fresh(base: string): string {
    let name = base;
    while (this.taken.has(name)) name = `${base}_${++this.counter}`;
    this.taken.add(name);
    return name;
  }

  isInitializer(name: string): boolean {
    return this.initializers.has(name);
  }

  consumersOf(name: string): NodeProto[] {
    return this.consumers.get(name) ?? [];
  }
}

/** A node's display name (its name, else `OpType#index`). */
export function nodeLabel(node: NodeProto, index: number): string {
  return node.name && node.name !== '' ? node.name : `${node.opType}#${index}`;
}

/** The default-domain opset a model imports (0 when none). */
export function defaultOpset(model: ModelProto): number {
  return model.opsetImport.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version ?? 0;
}

function raw(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/** An INT8 initializer. */
export function int8Tensor(name: string, values: Int8Array, dims: readonly number[]): TensorProto {
  return { name, dims: [...dims], dataType: DataType.INT8, rawData: raw(values) };
}

/** A UINT8 initializer. */
export function uint8Tensor(name: string, values: Uint8Array, dims: readonly number[]): TensorProto {
  return { name, dims: [...dims], dataType: DataType.UINT8, rawData: raw(values) };
}

/** An INT32 initializer. */
export function int32Tensor(name: string, values: Int32Array, dims: readonly number[]): TensorProto {
  return { name, dims: [...dims], dataType: DataType.INT32, rawData: raw(values) };
}

/** A FLOAT initializer. */
export function floatTensor(name: string, values: Float32Array, dims: readonly number[]): TensorProto {
  return { name, dims: [...dims], dataType: DataType.FLOAT, rawData: raw(values) };
}

