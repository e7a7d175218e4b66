import type { tfl } from '@shrinkray/tensor-core';
import type { GraphBuilder } from '../builder.js';

/**
 * Where an exported value's axes are: `tfjs` = the same order as in tfjs (NHWC for images);
 * `nchw` = a rank-4 value transposed to ONNX's NCHW (what Conv/Pool/BatchNormalization need).
 */
export type Layout = 'tfjs' | 'nchw';

/** A value in the ONNX graph being built, with its tfjs shape (batch first, `null` where free). */
export interface ExportValue {
  name: string;
  layout: Layout;
  shape: readonly (number | null)[];
}

/** A weight of the layer being exported, as float32 values in tfjs order. */
export interface LayerWeight {
  data: Float32Array;
  shape: number[];
}

/** What an exporter gets: the layer, its inputs and helpers to emit nodes. */
export interface ExportContext {
  readonly builder: GraphBuilder;
  readonly layer: tfl.layers.Layer;
  readonly className: string;
  /** The layer's config (`layer.getConfig()`). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly inputs: readonly ExportValue[];
  /** The layer's output shape in tfjs terms (batch first). */
  readonly outputShape: readonly (number | null)[];
  /** The name of `value` in the requested layout, inserting (and caching) a Transpose if needed. */
  inLayout(value: ExportValue, layout: Layout): string;
  /** A fresh value name derived from the layer name. */
  name(suffix?: string): string;
  /** The layer weight whose name ends with `/suffix` (e.g. `kernel`), or undefined. */
  weight(suffix: string): LayerWeight | undefined;
  /** Adds a float32 initializer named after the layer; returns its name. */
  constant(suffix: string, data: Float32Array | BigInt64Array, dims: readonly number[]): string;
  /** Appends the nodes of a tfjs activation (`relu`, `softmax`, ...) after `value`; returns the result. */
  activation(value: ExportValue, activation: string | undefined): ExportValue;
  /** Throws `UnsupportedLayerError` for this layer with a reason. */
  fail(detail: string): never;
}

/** Exports one tfjs layer class. Registered by class name (`Dense`, `Conv2D`, ...). */
export interface LayerExporter {
  readonly className: string;
  export(ctx: ExportContext): ExportValue;
}
