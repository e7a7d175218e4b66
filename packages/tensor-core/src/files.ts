import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A step of a file write where a process can die: before the temporary file, before the rename, before a removal. */
export type FileWriteStep = 'write' | 'rename' | 'remove';

let interceptor: ((step: FileWriteStep, file: string) => void | Promise<void>) | undefined;

/**
 * Test seam for crash tests: `hook` is called before every step of `writeFileAtomic` (with the
 * temporary file before its rename) and before shrinkray removes a file it wrote (old checkpoints).
 * A hook that throws stops the write right there, without any clean-up, as a killed process would.
 * `undefined` removes the hook.
 *
 * @example
 * let n = 0;
 * setFileWriteInterceptor(() => { if (++n === 3) throw new Error('killed'); });
 */
export function setFileWriteInterceptor(hook: ((step: FileWriteStep, file: string) => void | Promise<void>) | undefined): void {
  interceptor = hook;
}

/** Runs the test seam's hook for `step` (a no-op outside crash tests). */
export async function fileWriteStep(step: FileWriteStep, file: string): Promise<void> {
  if (interceptor) await interceptor(step, file);
}

/**
 * Writes a file atomically: the bytes go to a temporary file in the same directory, which is then
 * renamed over the target, so a reader (or a crash) never sees a partial file.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  await fileWriteStep('write', temp);
  try {
    await writeFile(temp, data);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fileWriteStep('rename', temp);
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
