import type * as tf from '@tensorflow/tfjs-core';
import type { GraphConstant, GraphNode, GraphValue } from './onnx-graph.js';

/** Fused activations of tfjs' `_FusedMatMul` / `_FusedConv2D` that the graphs support. */
const SUPPORTED = new Set(['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu']);

/** Whether a fused activation can run in the ORT graph. */
export function supportedActivation(activation: string | undefined): boolean {
  return activation === undefined || SUPPORTED.has(activation);
}

/** Bias and activation of a fused kernel. */
export interface Epilogue {
  readonly bias?: tf.TensorInfo;
  readonly activation?: string;
  readonly prelu?: tf.TensorInfo;
  readonly leakyreluAlpha?: number;
}

/** Key fragment identifying an epilogue's graph. */
export function epilogueKey(e: Epilogue): string {
  return `b${e.bias ? e.bias.shape.join('x') : '-'}:${e.activation ?? 'linear'}:${e.leakyreluAlpha ?? ''}:p${e.prelu ? e.prelu.shape.join('x') : '-'}`;
}

/**
 * Appends bias + activation after the value `from`, ending in `to`. Returns the nodes, graph inputs
 * (`bias`, `prelu`) and constants it needs.
 */
export function epilogueNodes(from: string, to: string, e: Epilogue): { nodes: GraphNode[]; inputs: GraphValue[]; constants: GraphConstant[] } {
  const nodes: GraphNode[] = [];
  const inputs: GraphValue[] = [];
  const constants: GraphConstant[] = [];
  const activation = e.activation ?? 'linear';
  let current = from;
  const next = (last: boolean) => (last ? to : `${current}_`);
  if (e.bias) {
    inputs.push({ name: 'bias', shape: e.bias.shape });
    const out = next(activation === 'linear');
    nodes.push({ op: 'Add', inputs: [current, 'bias'], outputs: [out] });
    current = out;
  }
  const act = (op: string, extra: string[] = [], attributes?: GraphNode['attributes']) => {
    nodes.push({ op, inputs: [current, ...extra], outputs: [to], ...(attributes ? { attributes } : {}) });
  };
  switch (activation) {
    case 'linear':
      if (current !== to) nodes.push({ op: 'Identity', inputs: [current], outputs: [to] });
      break;
    case 'relu':
      act('Relu');
      break;
    case 'relu6':
      constants.push({ name: 'zero', shape: [], values: [0] }, { name: 'six', shape: [], values: [6] });
      act('Clip', ['zero', 'six']);
      break;
    case 'elu':
      act('Elu', [], { alpha: { float: 1 } });
      break;
    case 'leakyrelu':
      act('LeakyRelu', [], { alpha: { float: e.leakyreluAlpha ?? 0.2 } });
      break;
    case 'sigmoid':
      act('Sigmoid');
      break;
    case 'prelu':
      if (!e.prelu) throw new Error('prelu activation without its weights');
      inputs.push({ name: 'prelu', shape: e.prelu.shape });
      act('PRelu', ['prelu']);
      break;
    default:
      throw new Error(`unsupported fused activation '${activation}'`);
  }
  return { nodes, inputs, constants };
}
