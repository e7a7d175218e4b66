import type { tfl } from '@shrinkray/tensor-core';
import { weightRole } from './graph.js';

/** Multiply-accumulates of one layer for one example. */
export interface LayerMacs {
  layer: string;
  className: string;
  macs: number;
}

/** MACs per layer (one example) and their total. */
export interface MacsReport {
  total: number;
  layers: LayerMacs[];
}

function product(dims: readonly (number | null)[]): number {
  return dims.reduce<number>((a, b) => a * (b ?? 1), 1);
}

/**
 * Multiply-accumulates of a forward pass for one example, per layer and in total: Conv2D
 * `Hout·Wout·kh·kw·Cin·Cout`, Conv1D `Lout·k·Cin·Cout`, DepthwiseConv2D `Hout·Wout·kh·kw·Cin·multiplier`,
 * Dense `in·out` times the positions it is applied at; an Embedding is listed with 0 (a lookup). Layers without a kernel (activations, BatchNormalization, pooling,
 * merges) are counted as 0, as Torch-Pruning's and most papers' MAC counts do.
 *
 * @example
 * const { total } = countMacs(model); // e.g. 1.8e9 for ResNet-18 at 224×224
 */
export function countMacs(model: tfl.LayersModel): MacsReport {
  const layers: LayerMacs[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === 'Embedding') {
      // a table lookup copies L·E values and multiplies nothing
      layers.push({ layer: layer.name, className: 'Embedding', macs: 0 });
      continue;
    }
    const kernel = layer.weights.find((w) => ['kernel', 'depthwise_kernel'].includes(weightRole(w)));
    if (!kernel) continue;
    const out = layer.outputShape as (number | null)[];
    // every output position of the layer costs one kernel's worth of MACs per output channel
    const positions = product(out.slice(1, -1));
    const k = kernel.shape as number[];
    layers.push({ layer: layer.name, className: layer.getClassName(), macs: positions * product(k) });
  }
  return { total: layers.reduce((n, l) => n + l.macs, 0), layers };
}

/** MACs of one example before and after pruning, in total and per layer. */
export interface MacsComparison {
  before: number;
  after: number;
  layers: { layer: string; className: string; before: number; after: number }[];
}

/** Pairs the MACs of a model before and after (a layer missing after counts as 0). */
export function compareMacs(before: MacsReport, after: MacsReport): MacsComparison {
  return {
    before: before.total,
    after: after.total,
    layers: before.layers.map((l) => ({ layer: l.layer, className: l.className, before: l.macs, after: after.layers.find((a) => a.layer === l.layer)?.macs ?? 0 })),
  };
}
