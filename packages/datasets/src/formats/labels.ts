import { DataError, type DataLocation } from '@shrinkray/tensor-core';

/**
 * Class indices from numeric label values: each must be a non-negative integer.
 *
 * @throws DataError ('label-not-integer' | 'label-out-of-range') naming the row.
 */
export function integerLabels(values: ArrayLike<number>, where: DataLocation, rowOf: (i: number) => Partial<DataLocation> = (i) => ({ row: i })): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v)) throw new DataError('label-not-integer', { ...where, ...rowOf(i) }, `label ${v} is not an integer class index`);
    if (v < 0 || v > 0x7fffffff) throw new DataError('label-out-of-range', { ...where, ...rowOf(i) }, `label ${v} is not a class index (expected 0, 1, 2, ...)`);
    out[i] = v;
  }
  return out;
}

/** The number of classes and their names for integer labels: `classes` when given, else `"0"`, `"1"`, … up to the largest label. */
export function classesForIndices(labelSets: readonly Int32Array[], classes: readonly string[] | undefined): { numClasses: number; classNames: string[] } {
  if (classes !== undefined) return { numClasses: classes.length, classNames: [...classes] };
  let max = 0;
  for (const labels of labelSets) for (const y of labels) if (y > max) max = y;
  return { numClasses: max + 1, classNames: Array.from({ length: max + 1 }, (_, i) => String(i)) };
}
