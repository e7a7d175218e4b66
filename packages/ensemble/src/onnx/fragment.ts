import type { Tensor } from '@shrinkray/tensor-core';

/**
 * A runtime-neutral description of ONNX nodes, so an aggregator can say how it computes in ONNX
 * without depending on a protobuf library. The serving code turns a fragment into real graph nodes.
 */

/** An attribute value, tagged with its ONNX attribute type. */
export type OnnxAttributeSpec =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'string'; readonly value: string };

/** One ONNX node (default domain). */
export interface OnnxNodeSpec {
  readonly opType: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, OnnxAttributeSpec>>;
}

/** A constant tensor the nodes read. */
export interface OnnxInitializerSpec {
  readonly name: string;
  readonly tensor: Tensor<'float32'> | Tensor<'int64'>;
}

/** Nodes and constants that map the members' logits to the ensemble's probabilities. */
export interface OnnxFragment {
  readonly nodes: readonly OnnxNodeSpec[];
  readonly initializers: readonly OnnxInitializerSpec[];
  /** The lowest default-domain opset the nodes need. */
  readonly minOpset: number;
}

/** Names an aggregator's fragment reads and writes. */
export interface OnnxAggregatorIo {
  /** One `[N, C]` float32 logits tensor name per member, in member order. */
  readonly memberLogits: readonly string[];
  /** The name the fragment must write the `[N, C]` float32 ensemble probabilities to. */
  readonly output: string;
  readonly numClasses: number;
  /** Prefix for every node and initializer name the fragment creates (keeps names unique). */
  readonly prefix: string;
}
