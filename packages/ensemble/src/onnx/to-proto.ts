import { attr, type AttributeProto, type NodeProto, type TensorProto, tensorToProto } from '@shrinkray/onnx-io';
import type { OnnxAttributeSpec, OnnxFragment } from './fragment.js';

function attribute(name: string, a: OnnxAttributeSpec): AttributeProto {
  switch (a.type) {
    case 'int':
      return attr.int(name, a.value);
    case 'float':
      return attr.float(name, a.value);
    case 'ints':
      return attr.ints(name, a.value);
    case 'floats':
      return attr.floats(name, a.value);
    case 'string':
      return attr.string(name, a.value);
  }
}

/** An aggregator fragment as onnx-io `NodeProto`s and `TensorProto` initializers. */
export function fragmentToProto(fragment: OnnxFragment): { nodes: NodeProto[]; initializers: TensorProto[] } {
  const nodes = fragment.nodes.map(
    (n): NodeProto => ({
      name: n.name,
      opType: n.opType,
      input: [...n.inputs],
      output: [...n.outputs],
      attribute: Object.entries(n.attributes ?? {}).map(([name, a]) => attribute(name, a)),
    }),
  );
  const initializers = fragment.initializers.map((i) => tensorToProto(i.name, i.tensor));
  return { nodes, initializers };
}
