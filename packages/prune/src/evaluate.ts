import { type Dataset, evaluateModel, TfjsModel, type tfl } from '@shrinkray/tensor-core';

/** Top-1 accuracy of a tfjs model on the labelled examples of `data` (tensor-core's `evaluateModel`). */
export async function modelAccuracy(model: tfl.LayersModel, data: Dataset): Promise<number> {
  return (await evaluateModel(new TfjsModel(model), data)).accuracy;
}
