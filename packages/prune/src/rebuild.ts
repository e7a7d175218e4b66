import { type tf, tfl } from '@shrinkray/tensor-core';

/**
 * A new LayersModel with the topology of `model`, the Dense `units` / Conv `filters` / Embedding `outputDim` of the layers in
 * `sizes` changed, the weights in `weights` set on their layers and every other layer's weights copied.
 * Shapes of layers that infer them from their input (BatchNormalization, DepthwiseConv2D, …) follow.
 */
export async function rebuildModel(model: tfl.LayersModel, sizes: ReadonlyMap<string, number>, weights: ReadonlyMap<string, tf.Tensor[]>): Promise<tfl.LayersModel> {
  const topology = model.toJSON(null, false) as unknown as { config: { layers?: { config: Record<string, unknown> }[] } };
  for (const entry of topology.config.layers ?? []) {
    const size = sizes.get(entry.config['name'] as string);
    if (size === undefined) continue;
    if ('units' in entry.config) entry.config['units'] = size;
    else if ('output_dim' in entry.config) entry.config['output_dim'] = size;
    else entry.config['filters'] = size;
  }
  const rebuilt = await tfl.models.modelFromJSON({ modelTopology: topology } as unknown as Parameters<typeof tfl.models.modelFromJSON>[0]);
  for (const layer of rebuilt.layers) {
    const fresh = weights.get(layer.name);
    const old = model.layers.find((l) => l.name === layer.name);
    if (fresh) layer.setWeights(fresh);
    else if (old && old.weights.length > 0) layer.setWeights(old.getWeights());
  }
  return rebuilt;
}
