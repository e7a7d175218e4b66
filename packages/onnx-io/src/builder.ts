import { ConfigError, type DType, Tensor } from '@shrinkray/tensor-core';
import { tensorToProto } from './tensor-proto.js';
import { DataType, type AttributeProto, type Dim, type GraphProto, type ModelProto, type NodeProto, type OperatorSetId, type ValueInfoProto } from './types.js';

/** Data types a graph input/output can be declared with. */
export type ElemType = 'float32' | 'int32' | 'int64' | 'uint8' | 'bool';

const elemCodes: Record<ElemType, number> = { float32: DataType.FLOAT, int32: DataType.INT32, int64: DataType.INT64, uint8: DataType.UINT8, bool: DataType.BOOL };

/** A `ValueInfoProto` for a tensor of `elemType` and `shape` (`null` or a string for free dims). */
export function valueInfo(name: string, elemType: ElemType, shape: readonly Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: elemCodes[elemType],
        shape: { dim: shape.map((d, i) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d ?? `dim${i}` })) },
      },
    },
  };
}

/** Reads a value's declared shape: numbers, dim_param names, or `null` where unknown. */
export function shapeOf(info: ValueInfoProto): Dim[] | undefined {
  const dims = info.type?.tensorType?.shape?.dim;
  if (!dims) return undefined;
  return dims.map((d) => (d.dimValue !== undefined ? Number(d.dimValue) : (d.dimParam ?? null)));
}

/** Initializer data accepted by the builder: a tensor-core `Tensor` or a typed array plus dims. */
export type InitializerData = Tensor | Float32Array | Int32Array | BigInt64Array | Uint8Array;

function toTensor(name: string, data: InitializerData, dims?: readonly number[]): Tensor {
  if (data instanceof Tensor) return data;
  const shape = dims ?? [data.length];
  let dtype: DType = 'float32';
  if (data instanceof Int32Array) dtype = 'int32';
  else if (data instanceof BigInt64Array) dtype = 'int64';
  else if (data instanceof Uint8Array) dtype = 'uint8';
  return new Tensor(dtype, shape, data as never, name);
}

/**
 * Builds an ONNX graph step by step: inputs/outputs with shapes, initializers from typed arrays,
 * nodes with typed attributes, opset imports. Names are checked for uniqueness as they are added.
 *
 * @example
 * const b = new GraphBuilder('mlp');
 * b.input('x', 'float32', [null, 4]);
 * b.initializer('W', new Float32Array(12), [4, 3]);
 * b.node('Gemm', ['x', 'W'], ['y']);
 * b.output('y', 'float32', [null, 3]);
 * const model = b.build();
 */
export class GraphBuilder {
  readonly graph: GraphProto;
  private readonly names = new Set<string>();
  private readonly reserved = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private counter = 0;

  constructor(name = 'graph') {
    this.graph = { name, node: [], initializer: [], input: [], output: [] };
  }

  /** Reserves and returns a value name not yet used or reserved in this graph, derived from `base`. */
  uniqueName(base: string): string {
    let name = base;
    while (this.names.has(name) || this.reserved.has(name)) name = `${base}_${++this.counter}`;
    this.reserved.add(name);
    return name;
  }

  private claim(name: string, what: string): void {
    if (this.names.has(name)) throw new ConfigError(`${what} '${name}'`, 'name already used in this graph');
    this.names.add(name);
  }

  input(name: string, elemType: ElemType, shape: readonly Dim[]): string {
    this.claim(name, 'input');
    this.graph.input.push(valueInfo(name, elemType, shape));
    return name;
  }

  /** Declares a graph output (an already-produced value). */
  output(name: string, elemType: ElemType, shape: readonly Dim[]): string {
    this.graph.output.push(valueInfo(name, elemType, shape));
    return name;
  }

  /** Adds an initializer; returns its name. */
  initializer(name: string, data: InitializerData, dims?: readonly number[]): string {
    this.claim(name, 'initializer');
    this.graph.initializer.push(tensorToProto(name, toTensor(name, data, dims)));
    return name;
  }

  /** Adds a node; outputs are claimed as value names. Returns the node. */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: readonly AttributeProto[] = [], name?: string): NodeProto {
    for (const o of outputs) this.claim(o, `output of ${opType}`);
    let nodeName = name ?? `${opType}_${this.graph.node.length}`;
    while (this.nodeNames.has(nodeName)) nodeName = `${nodeName}_${++this.counter}`;
    this.nodeNames.add(nodeName);
    const node: NodeProto = { input: [...inputs], output: [...outputs], name: nodeName, opType, attribute: [...attributes] };
    this.graph.node.push(node);
    return node;
  }

  /** The finished model (IR version 8, default-domain opset `opset`). */
  build(options: { opset?: number; producerName?: string; producerVersion?: string; extraOpsets?: OperatorSetId[]; docString?: string } = {}): ModelProto {
    return {
      irVersion: 8,
      opsetImport: [{ domain: '', version: options.opset ?? 17 }, ...(options.extraOpsets ?? [])],
      producerName: options.producerName ?? 'shrinkray',
      producerVersion: options.producerVersion ?? '0.1.0',
      graph: this.graph,
      ...(options.docString ? { docString: options.docString } : {}),
    };
  }
}
