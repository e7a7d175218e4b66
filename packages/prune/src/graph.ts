import type { tfl } from '@shrinkray/tensor-core';

type Layer = tfl.layers.Layer;

/**
 * Layer classes whose kernel can be pruned (their output units are the kernel's last axis): Dense,
 * Conv2D, Conv1D, and Embedding (its table `[vocab, E]`: the E output dimensions are the units).
 */
export const prunableClasses: ReadonlySet<string> = new Set(['Dense', 'Conv2D', 'Conv1D', 'Embedding']);

/** Roles of the weight a prunable layer is pruned on: `kernel`, or an Embedding's `embeddings` table. */
export const kernelRoles: ReadonlySet<string> = new Set(['kernel', 'embeddings']);

/** The weight a prunable layer is pruned on (its kernel, or an Embedding's table). */
export function kernelOf(layer: Layer): Layer['weights'][number] | undefined {
  return layer.weights.find((w) => kernelRoles.has(weightRole(w)));
}

/** Layers that act on each channel (last axis) separately, so removed channels pass through them. */
export const channelwiseClasses: ReadonlySet<string> = new Set([
  'Activation',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'PReLU',
  'ThresholdedReLU',
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'MaxPooling1D',
  'MaxPooling2D',
  'AveragePooling1D',
  'AveragePooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'ZeroPadding2D',
  'Cropping2D',
  'UpSampling2D',
  'BatchNormalization',
]);

/** The layers feeding a layer (through its first inbound node). */
export function inboundLayers(layer: Layer): Layer[] {
  return layer.inboundNodes[0]?.inboundLayers ?? [];
}

/** The layers consuming a layer's output. */
export function outboundLayers(layer: Layer): Layer[] {
  return layer.outboundNodes.map((n) => n.outboundLayer).filter((l): l is Layer => l !== undefined);
}

/** Names of the layers that produce the model's outputs. */
export function outputLayerNames(model: tfl.LayersModel): Set<string> {
  return new Set(model.outputs.map((o) => o.sourceLayer.name));
}

/** The short name of a layer variable (`kernel`, `bias`, `gamma`, …). */
export function weightRole(variable: { originalName?: string; name: string }): string {
  const name = variable.originalName ?? variable.name;
  return (name.split('/').pop() ?? name).replace(/_\d+$/, '');
}

/**
 * BatchNormalization layers that normalise a layer's units directly (reached through channel-wise
 * layers only, with a single consumer at every step), whose `gamma`/`beta` a structured mask must
 * zero as well for a removed unit to be dead.
 */
export function followingBatchNorms(layer: Layer): Layer[] {
  const found: Layer[] = [];
  let current = layer;
  for (;;) {
    const next = outboundLayers(current);
    if (next.length !== 1) return found;
    const n = next[0]!;
    if (!channelwiseClasses.has(n.getClassName())) return found;
    if (n.getClassName() === 'BatchNormalization') found.push(n);
    current = n;
  }
}
