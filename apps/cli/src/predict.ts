import { type Model, Tensor } from '@shrinkray/tensor-core';

/** Rows per predict call: bounds memory and gives the progress bar a step. */
const chunkRows = 1000;

/**
 * Every model's logits on `x`, computed in chunks of rows (the models of one chunk run concurrently);
 * `onChunk` gets the rows done after each chunk.
 */
export async function predictInChunks(models: readonly Model[], x: Tensor<'float32'>, onChunk: (done: number) => void): Promise<Tensor<'float32'>[]> {
  const n = x.shape[0] ?? 0;
  const parts: Tensor<'float32'>[][] = models.map(() => []);
  for (let start = 0; start < n; start += chunkRows) {
    const slice = x.sliceRows(start, start + chunkRows);
    const outs = await Promise.all(models.map((m) => m.predict(slice)));
    for (const [i, o] of outs.entries()) parts[i]!.push(o);
    onChunk(Math.min(n, start + chunkRows));
  }
  return parts.map((p, i) => Tensor.concatRows(p, `${models[i]!.name} logits`));
}
