import { DTypeError, Tensor } from '@shrinkray/tensor-core';
import type * as ort from 'onnxruntime-node';
import { OnnxFormatError } from './errors/onnx-format-error.js';
import type { SessionRunner } from './session-runner.js';

/** What {@link runInBatches} needs to know about the model it runs. */
export interface BatchedRun {
  /** The session to run. */
  session: SessionRunner;
  /** The model's name, for error messages. */
  name: string;
  /** The output to fetch and stitch (must be float32). */
  outputName: string;
  /** Number of rows in the whole input. */
  rows: number;
  /** Largest number of rows sent to ORT in one run. */
  chunk: number;
  /** The feeds for rows `[start, start + rows)`. */
  feeds(start: number, rows: number): Record<string, ort.Tensor>;
}

/**
 * Runs a session batch by batch and stitches the float32 output's first `rows` rows of each batch
 * into one tensor `[N, ...rowShape]` (rows past the batch's own, e.g. padding to a fixed batch, are dropped).
 */
export async function runInBatches(run: BatchedRun): Promise<Tensor<'float32'>> {
  const { session, name, outputName, rows: n, chunk } = run;
  let out: Float32Array | undefined;
  let rowShape: number[] = [];
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    const result = await session.run(run.feeds(start, rows), [outputName]);
    const y = result[outputName];
    if (!y) throw new OnnxFormatError(name, `onnxruntime returned no output '${outputName}'`);
    if (y.type !== 'float32') throw new DTypeError({ tensor: `${name} output '${outputName}'`, expected: 'float32', found: y.type });
    const dims = y.dims.map(Number);
    rowShape = dims.slice(1);
    const rowSize = rowShape.reduce((a, b) => a * b, 1);
    out ??= new Float32Array(n * rowSize);
    out.set((y.data as Float32Array).subarray(0, rows * rowSize), start * rowSize);
    y.dispose();
  }
  return new Tensor('float32', [n, ...rowShape], out ?? new Float32Array(0));
}
