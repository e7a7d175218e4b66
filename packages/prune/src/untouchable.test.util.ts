// Test helper (not a test file itself): a dataset whose examples throw when read.
import { Dataset, type ExampleSource } from '@shrinkray/tensor-core';

/** 8 rows of `exampleShape` whose `read` throws: a refusal made before any data is read leaves it untouched. */
export function untouchable(exampleShape: number[], numClasses: number): Dataset {
  const source: ExampleSource<'float32'> = {
    name: 'untouchable',
    size: 8,
    exampleShape,
    dtype: 'float32',
    inMemory: false,
    read() {
      throw new Error('data was read');
    },
  };
  return Dataset.fromSource(source, new Int32Array(8), { numClasses });
}
