import type { Dataset, DatasetSplits, Tensor } from '@shrinkray/tensor-core';

/** A dataset's examples read into memory beside its metadata, for tests that inspect values. */
export interface Materialised {
  name: string;
  x: Tensor<'float32'>;
  y: Int32Array;
  labels: Int32Array;
  numClasses: number;
  classNames: readonly string[];
}

/** Reads every example of `ds` (in order) into one tensor. */
export async function materialise(ds: Dataset): Promise<Materialised> {
  const x = (await ds.read(Int32Array.from({ length: ds.size }, (_, i) => i))) as Tensor<'float32'>;
  return { name: ds.name, x, y: ds.labels, labels: ds.labels, numClasses: ds.numClasses, classNames: ds.classNames };
}

/** `materialise` for both splits. */
export async function materialiseSplits(s: DatasetSplits): Promise<{ train: Materialised; test: Materialised }> {
  return { train: await materialise(s.train), test: await materialise(s.test) };
}
