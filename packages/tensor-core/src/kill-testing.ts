import { truncate } from 'node:fs/promises';
import { type FileWriteStep, setFileWriteInterceptor } from './files.js';

/** The error a simulated kill throws. */
export class SimulatedKill extends Error {
  constructor(readonly step: FileWriteStep, readonly index: number) {
    super(`killed at file step ${index} (${step})`);
  }
}

/** The file steps (`write`, `rename`, `remove`) an uninterrupted `run` takes, in order. For crash tests. */
export async function recordFileSteps(run: () => Promise<unknown>): Promise<FileWriteStep[]> {
  const steps: FileWriteStep[] = [];
  setFileWriteInterceptor((step) => void steps.push(step));
  try {
    await run();
  } finally {
    setFileWriteInterceptor(undefined);
  }
  return steps;
}

/**
 * Runs `run` and kills it at its `k`-th file step (1-based): the write stops there with no clean-up,
 * a temporary file about to be renamed is first torn to 10 bytes, as a process killed mid-write leaves
 * it. Resolves with the `SimulatedKill`; rejects if `run` finished or failed otherwise. For crash tests.
 */
export async function killAtFileStep(k: number, run: () => Promise<unknown>): Promise<SimulatedKill> {
  let n = 0;
  setFileWriteInterceptor(async (step, file) => {
    if (++n !== k) return;
    if (step === 'rename') await truncate(file, 10);
    throw new SimulatedKill(step, k);
  });
  try {
    await run();
  } catch (error) {
    if (error instanceof SimulatedKill) return error;
    throw error;
  } finally {
    setFileWriteInterceptor(undefined);
  }
  throw new Error(`the run finished before its file step ${k}`);
}
