import { adaptInput, type Dataset, type Model, predictBatched, Tensor, tf, tfl } from '@shrinkray/tensor-core';

/**
 * The activations of layer `layerName` of a tfjs model for every example of `data`, flattened to
 * `[N, D]`, computed in batches (inference mode) by tensor-core's `predictBatched`.
 */
export async function layerFeatures(model: tfl.LayersModel, layerName: string, data: Dataset, batchSize: number): Promise<Tensor<'float32'>> {
  const layer = model.getLayer(layerName);
  const sub = tfl.model({ inputs: model.inputs, outputs: layer.output as tfl.SymbolicTensor });
  const dims = (layer.output as tfl.SymbolicTensor).shape.slice(1) as number[];
  const features: Model = {
    name: `${model.name}/${layerName}`,
    inputShape: model.inputs[0]!.shape,
    numClasses: dims.reduce((a, b) => a * b, 1),
    async predict(x) {
      const input = x.dtype === 'float32' ? adaptInput(x as Tensor<'float32'>, model.inputs[0]!.shape, `${model.name} input`) : x;
      const y = tf.tidy(() => tf.reshape(sub.predict(input.toTfjs()) as tf.Tensor, [x.shape[0]!, -1]));
      try {
        return new Tensor('float32', [...y.shape], (await y.data()) as Float32Array);
      } finally {
        y.dispose();
      }
    },
    async dispose() {},
  };
  return predictBatched(features, data, { batchSize });
}
