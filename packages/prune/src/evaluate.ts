import { accuracy, type Tensor, TfjsModel, type tfl } from '@shrinkray/tensor-core';

/** A labelled set: NHWC images or flat vectors (adapted to the model's input layout), one label per row. */
export interface LabelledData {
  x: Tensor<'float32'>;
  y: Int32Array;
}

/** Top-1 accuracy of a tfjs model on a labelled set, predicted in chunks of `chunk` rows. */
export async function modelAccuracy(model: tfl.LayersModel, data: LabelledData, chunk = 2000): Promise<number> {
  const wrapped = new TfjsModel(model);
  const n = data.y.length;
  let correct = 0;
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    const logits = await wrapped.predict(data.x.sliceRows(start, end));
    correct += accuracy(logits, data.y.subarray(start, end)) * (end - start);
  }
  return n === 0 ? 0 : correct / n;
}
