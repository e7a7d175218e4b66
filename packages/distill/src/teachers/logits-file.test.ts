import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { LogitsFileError } from '../errors/logits-file-error.js';
import { decodeLogitsFile, encodeLogitsFile, readLogitsFile, writeLogitsFile } from './logits-file.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures');
// Written by numpy 1.24 (`np.save`): [[1.5, -2.25, 0], [3, 1e4, -1e4]].
const expected = [1.5, -2.25, 0, 3, 1e4, -1e4];

describe('npy teacher-logits files', () => {
  it('reads float32 and float64 arrays written by numpy', async () => {
    for (const name of ['logits-f4.npy', 'logits-f8.npy']) {
      const t = await readLogitsFile(path.join(fixtures, name));
      expect(t.shape).toEqual([2, 3]);
      expect(Array.from(t.data)).toEqual(expected);
    }
  });

  it('writes the byte-identical file numpy writes (v1.0, <f4, 64-byte aligned header)', () => {
    const bytes = encodeLogitsFile(new Tensor('float32', [2, 3], Float32Array.from(expected)));
    expect(Buffer.from(bytes).equals(readFileSync(path.join(fixtures, 'logits-f4.npy')))).toBe(true);
  });

  it('round-trips through an atomic write and leaves no temp file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'distill-npy-'));
    const file = path.join(dir, 't.npy');
    const t = new Tensor('float32', [3, 2], Float32Array.from([0.1, -0.2, 3e-8, 7, -1e30, 1e30]));
    await writeLogitsFile(file, t);
    expect(Array.from((await readLogitsFile(file)).data)).toEqual(Array.from(t.data));
    expect(await readdir(dir)).toEqual(['t.npy']);
  });

  it('is readable by numpy when Python is available', () => {
    const python = '/usr/bin/python3';
    if (!existsSync(python)) return;
    const bytes = encodeLogitsFile(new Tensor('float32', [2, 3], Float32Array.from(expected)));
    const out = execFileSync(python, ['-c', 'import sys,io,numpy as np; a=np.load(io.BytesIO(sys.stdin.buffer.read())); print(a.dtype, a.shape, a.tolist())'], { input: bytes }).toString().trim();
    expect(out).toBe('float32 (2, 3) [[1.5, -2.25, 0.0], [3.0, 10000.0, -10000.0]]');
  });

  it('rejects malformed files with LogitsFileError naming the file', async () => {
    await expect(readLogitsFile(path.join(fixtures, 'logits-1d.npy'))).rejects.toThrow(/logits-1d\.npy: expected a 2-D array \[N, C\] of logits, found shape \[3\]/);
    await expect(readLogitsFile(path.join(fixtures, 'logits-i4.npy'))).rejects.toThrow(/found '<i4'/);
    await expect(readLogitsFile(path.join(fixtures, 'missing.npy'))).rejects.toThrow(/missing\.npy: cannot be read \(ENOENT\)/);
    const dir = await mkdtemp(path.join(tmpdir(), 'distill-npy-'));
    const bad = path.join(dir, 'bad.npy');
    await writeFile(bad, 'not numpy at all');
    const error = await readLogitsFile(bad).catch((e: unknown) => e);
    expect(LogitsFileError.isInstance(error)).toBe(true);
    const truncated = encodeLogitsFile(new Tensor('float32', [2, 3], Float32Array.from(expected))).subarray(0, 140);
    expect(() => decodeLogitsFile(truncated, 'cut.npy')).toThrow(/cut\.npy: shape \[2,3\] of '<f4' needs 24 data bytes, found 12/);
  });
});
