import type { Dataset, Tensor } from '@shrinkray/tensor-core';

/** A dataset's examples and labels read into memory, for tests that compute references by hand. */
export async function arrays(ds: Dataset): Promise<{ x: Tensor<'float32'>; y: Int32Array }> {
  const x = (await ds.read(Int32Array.from({ length: ds.size }, (_, i) => i))) as Tensor<'float32'>;
  return { x, y: ds.labels };
}
