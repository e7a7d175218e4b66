import * as tfl from '@tensorflow/tfjs-layers';

/** An independent copy of a LayersModel (same topology and layer names, copied weights). */
export async function cloneModel(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  const topology = model.toJSON(null, false);
  const copy = await tfl.models.modelFromJSON({ modelTopology: topology } as unknown as Parameters<typeof tfl.models.modelFromJSON>[0]);
  const weights = model.getWeights();
  const copies = weights.map((w) => w.clone());
  copy.setWeights(copies);
  for (const t of copies) t.dispose();
  return copy;
}
