import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's python with numpy and PIL: the independent writer of every test file. */
export const PYTHON = '/usr/bin/python3';
const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/make_fixtures.py');

/** Runs `make_fixtures.py KIND [ARGS] OUT` into a fresh temp directory and returns it. */
export function makeFixtures(kind: 'npy' | 'images' | 'formats', ...args: string[]): string {
  const out = mkdtempSync(path.join(tmpdir(), `shrinkray-${kind}-`));
  execFileSync(PYTHON, [script, kind, ...args, out], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

/** A little-endian float64 file written by numpy (`*.expect.f64`). */
export function readF64(file: string): Float64Array {
  const b = readFileSync(file);
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** The error a promise rejects with. */
export async function rejection(p: Promise<unknown>): Promise<Error & { kind?: string; location?: Record<string, unknown> }> {
  try {
    await p;
  } catch (error) {
    return error as Error & { kind?: string };
  }
  throw new Error('expected a rejection');
}
