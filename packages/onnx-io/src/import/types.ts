import type { Tensor, tfl } from '@shrinkray/tensor-core';
import type { NodeProto } from '../types.js';

/**
 * An ONNX value as a tfjs symbolic tensor. `perm` says how the tfjs tensor's axes relate to the
 * ONNX value's: tfjs = transpose(onnx, perm). NCHW feature maps are held as NHWC in tfjs
 * (`perm = [0,2,3,1]`), which is what tfjs convolutions need.
 */
export interface ImportValue {
  tensor: tfl.SymbolicTensor;
  perm: readonly number[];
}

/** What an op importer gets: the node and helpers to read inputs and create tfjs layers. */
export interface ImportContext {
  readonly node: NodeProto;
  /** The node's name (or `op #index` when it has none), for messages. */
  readonly nodeName: string;
  /** Default-domain opset of the model. */
  readonly opset: number;
  /** True when input `i` is a constant (initializer or Constant node). */
  isConstant(i: number): boolean;
  /** Input `i` as a constant tensor (throws naming the node if it is not one). */
  constant(i: number): Tensor;
  /** A constant by ONNX value name, or undefined when the value is not constant. */
  constantByName(name: string): Tensor | undefined;
  /** The node's `value` tensor attribute (for Constant nodes). */
  constantAttribute(): Tensor;
  /** Input `i` as a runtime value (throws naming the node if it is a constant or missing). */
  value(i: number): ImportValue;
  /** The runtime value bound to an ONNX value name so far, or undefined (constants, values not yet imported). */
  valueByName(name: string): ImportValue | undefined;
  /** `value` as a tfjs tensor whose axes follow `perm` (adds a Permute layer if needed). */
  withPerm(value: ImportValue, perm: readonly number[]): tfl.SymbolicTensor;
  /** `value` whose flattened order equals the ONNX value's (for Flatten/Reshape/Dense). */
  flatOrder(value: ImportValue): tfl.SymbolicTensor;
  /** Binds an ONNX value name to a tfjs value. */
  set(name: string, value: ImportValue): void;
  /** Binds an ONNX value name to a constant (e.g. the output of a Constant node). */
  setConstant(name: string, tensor: Tensor): void;
  /** The node that writes an ONNX value, or undefined for graph inputs and initializers. */
  producer(name: string): NodeProto | undefined;
  /** The nodes that read an ONNX value. */
  consumers(name: string): NodeProto[];
  /** True when an ONNX value is a graph output. */
  isGraphOutput(name: string): boolean;
  /** Marks a later node as already handled (fused into this one). */
  fuse(node: NodeProto): void;
  /** A unique, tfjs-safe layer name derived from the node name. */
  layerName(suffix?: string): string;
  /** Applies a layer and then sets its weights (float32 tensors in tfjs order). */
  apply(layer: tfl.layers.Layer, input: tfl.SymbolicTensor | tfl.SymbolicTensor[], weights?: readonly Tensor[]): tfl.SymbolicTensor;
  /**
   * If `output` is read only by an activation node that a tfjs layer can absorb (Relu, Sigmoid,
   * Tanh, Softmax on the last axis, Clip 0..6), fuses it and returns the activation name and the
   * activation's output name; else `linear` and `output`.
   */
  fusableActivation(output: string, rank: number): { activation: string; output: string };
  /** Throws `UnsupportedOpError` for this node with a reason. */
  fail(detail: string): never;
}

/** Imports one ONNX op type. Registered by op type (`Gemm`, `Conv`, ...). */
export interface OpImporter {
  readonly opType: string;
  import(ctx: ImportContext): void;
}

/**
 * Imports a subgraph that no single op maps to (e.g. self-attention) as tfjs layers. Tried, in
 * registration order, at every node whose op type is `anchor`, before that op's importer: it either
 * imports the whole pattern starting at `ctx.node` (binding its output and fusing its other nodes
 * with `ctx.fuse`) and returns true, or returns false having changed nothing.
 */
export interface PatternImporter {
  /** Registry key, e.g. `multi-head-self-attention`. */
  readonly name: string;
  /** Op type of the pattern's first node in graph order. */
  readonly anchor: string;
  tryImport(ctx: ImportContext): boolean;
}
