import { adaptInput, type Dataset, Rng, sparseCrossEntropy, type Tensor, tf, type tfl } from '@shrinkray/tensor-core';
import { kernelRoles, weightRole } from './graph.js';

function lastIsSoftmax(model: tfl.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  return (last?.getConfig() as { activation?: unknown } | undefined)?.activation === 'softmax';
}

/**
 * Mean gradient of the cross-entropy w.r.t. each named layer's kernel (depthwise kernel, embedding table) over
 * `batches` random batches of `batchSize` consecutive examples (seeded starts), for the `taylor` criterion.
 */
export async function kernelGradients(model: tfl.LayersModel, layers: readonly string[], data: Dataset, options: { batches?: number; batchSize?: number; seed?: number } = {}): Promise<Map<string, Float32Array>> {
  const batches = options.batches ?? 4;
  const batchSize = Math.min(options.batchSize ?? 128, data.size);
  const rng = new Rng(options.seed ?? 0);
  const inputShape = model.inputs[0]!.shape;
  const variables = layers.map((name) => {
    const kernel = model.getLayer(name).weights.find((w) => kernelRoles.has(weightRole(w)) || weightRole(w) === 'depthwise_kernel')!;
    return kernel.read() as tf.Variable;
  });
  const sums = variables.map((v) => new Float32Array(v.size));
  const softmax = lastIsSoftmax(model);
  for (let b = 0; b < batches; b++) {
    const start = rng.int(Math.max(1, data.size - batchSize + 1));
    const indices = Int32Array.from({ length: batchSize }, (_, i) => start + i);
    const rows = (await data.read(indices)) as Tensor<'float32'>;
    const x = adaptInput(rows, inputShape, data.name).toTfjs();
    const y = tf.tensor1d(data.labels.subarray(start, start + batchSize), 'int32');
    const { grads } = tf.variableGrads(() => {
      const out = model.apply(x, { training: false }) as tf.Tensor2D;
      const logits = softmax ? (tf.log(tf.maximum(out, 1e-30)) as tf.Tensor2D) : out;
      return sparseCrossEntropy(logits, y);
    }, variables);
    variables.forEach((v, i) => {
      const g = grads[v.name];
      if (g) {
        const data = g.dataSync();
        const sum = sums[i]!;
        for (let k = 0; k < sum.length; k++) sum[k]! += data[k]! / batches;
      }
    });
    tf.dispose([x, y, ...Object.values(grads)]);
  }
  return new Map(layers.map((name, i) => [name, sums[i]!]));
}
