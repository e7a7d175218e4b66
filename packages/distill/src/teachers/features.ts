import { adaptInput, tf, tfl, Tensor } from '@shrinkray/tensor-core';

/**
 * Runs `fn` on `x` in row chunks of `batchSize` and concatenates the flat outputs into one `[N, D]`
 * float32 tensor. `onBatch` is told the rows done so far.
 */
export async function mapInBatches(
  x: Tensor<'float32'>,
  batchSize: number,
  fn: (chunk: Tensor<'float32'>) => Promise<Tensor<'float32'>>,
  onBatch?: (done: number, total: number) => void,
): Promise<Tensor<'float32'>> {
  const rows = x.shape[0] ?? 0;
  let out: Float32Array | undefined;
  let cols = 0;
  for (let start = 0; start < rows; start += batchSize) {
    const end = Math.min(rows, start + batchSize);
    const y = await fn(x.sliceRows(start, end));
    const n = end - start;
    if (!out) {
      cols = n === 0 ? 0 : y.size / n;
      out = new Float32Array(rows * cols);
    }
    out.set(y.data, start * cols);
    onBatch?.(end, rows);
  }
  return new Tensor('float32', [rows, cols], out ?? new Float32Array(0));
}

/**
 * The activations of layer `layerName` of a tfjs model for every row of `x`, flattened to `[N, D]`,
 * computed in batches (inference mode).
 */
export async function layerFeatures(model: tfl.LayersModel, layerName: string, x: Tensor<'float32'>, batchSize: number): Promise<Tensor<'float32'>> {
  const layer = model.getLayer(layerName);
  const sub = tfl.model({ inputs: model.inputs, outputs: layer.output as tfl.SymbolicTensor });
  const adapted = adaptInput(x, model.inputs[0]!.shape, `${model.name} input`);
  return mapInBatches(adapted, batchSize, async (chunk) => {
    const input = chunk.toTfjs();
    const y = tf.tidy(() => {
      const out = sub.predict(input) as tf.Tensor;
      return tf.reshape(out, [chunk.shape[0]!, -1]);
    });
    try {
      const data = (await y.data()) as Float32Array;
      return new Tensor('float32', [...y.shape], data);
    } finally {
      tf.dispose([input, y]);
    }
  });
}
