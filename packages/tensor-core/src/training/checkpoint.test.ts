import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/config-error.js';
import { type CheckpointState, checkpointFileName, decodeCheckpoint, encodeCheckpoint, listCheckpoints, loadLatestCheckpoint, saveCheckpoint } from './checkpoint.js';

function state(epoch: number): CheckpointState {
  return {
    epoch,
    step: epoch * 10,
    fingerprint: { seed: 3, batchSize: 32, rows: 300, optimizer: 'Adam', weights: '[8,16] [16]' },
    history: [{ epoch: 1, loss: 0.5, accuracy: null, valLoss: 0.25, samplesPerSecond: 1000, seconds: 0.3 }],
    earlyStopping: { best: 0.25, bestEpoch: 1, wait: 0, stopped: false },
    groups: {
      model: [
        { name: '0:dense/kernel', dtype: 'float32', shape: [2, 3], data: Float32Array.of(1, -2, 3.5, Number.NaN, 1e-30, -0) },
        { name: '1:dense/bias', dtype: 'float32', shape: [3], data: Float32Array.of(0.1, 0.2, 0.3) },
      ],
      optimizer: [{ name: 'iter', dtype: 'int32', shape: [], data: Int32Array.of(epoch * 10) }],
    },
  };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('checkpoint files', () => {
  it('encode/decode round-trips every field and value bit for bit', () => {
    const s = state(2);
    const back = decodeCheckpoint(encodeCheckpoint(s), 'mem');
    expect(back.epoch).toBe(2);
    expect(back.step).toBe(20);
    expect(back.fingerprint).toEqual(s.fingerprint);
    expect(back.history).toEqual(s.history);
    expect(back.earlyStopping).toEqual(s.earlyStopping);
    expect(Object.keys(back.groups)).toEqual(['model', 'optimizer']);
    const k = back.groups['model']![0]!;
    expect(k.name).toBe('0:dense/kernel');
    expect(k.shape).toEqual([2, 3]);
    expect(k.data).toBeInstanceOf(Float32Array);
    expect(new Uint8Array(k.data.buffer)).toEqual(new Uint8Array(s.groups['model']![0]!.data.buffer));
    const iter = back.groups['optimizer']![0]!;
    expect(iter.data).toBeInstanceOf(Int32Array);
    expect(iter.shape).toEqual([]);
    expect(Array.from(iter.data)).toEqual([20]);
  });

  it('starts with the SRCK magic and a little-endian header length', () => {
    const bytes = encodeCheckpoint(state(1));
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('SRCK');
    const length = new DataView(bytes.buffer).getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as { format: string; version: number };
    expect(header).toMatchObject({ format: 'shrinkray-checkpoint', version: 1 });
    // Header padded to 4 bytes, then 6 + 3 float32 values and 1 int32.
    expect(bytes.length).toBe(Math.ceil((8 + length) / 4) * 4 + (6 + 3 + 1) * 4);
  });

  it('rejects files that are not checkpoints, naming the file', () => {
    expect(() => decodeCheckpoint(new TextEncoder().encode('{"not":"a checkpoint"}'), 'x.ckpt')).toThrow(ConfigError);
    expect(() => decodeCheckpoint(new TextEncoder().encode('{"not":"a checkpoint"}'), 'x.ckpt')).toThrow(/x.ckpt is not a readable shrinkray checkpoint \(bad magic\)/);
    const truncated = encodeCheckpoint(state(1)).subarray(0, 60);
    expect(() => decodeCheckpoint(truncated, 'cut.ckpt')).toThrow(/cut.ckpt is not a readable shrinkray checkpoint/);
    const full = encodeCheckpoint(state(1));
    expect(() => decodeCheckpoint(full.subarray(0, full.length - 4), 'short.ckpt')).toThrow(/array optimizer\/iter runs past the end of the file/);
  });

  it('saves atomically into the directory, keeps the newest `keep`, and loads the newest', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shrinkray-ckpt-'));
    dirs.push(dir);
    expect(await listCheckpoints(path.join(dir, 'missing'))).toEqual([]);
    expect(await loadLatestCheckpoint(dir)).toBeUndefined();
    await writeFile(path.join(dir, 'notes.txt'), 'unrelated');
    for (const epoch of [1, 2, 3, 10]) {
      const file = await saveCheckpoint(dir, state(epoch), 2);
      expect(file).toBe(path.join(dir, checkpointFileName(epoch)));
    }
    // No temporary files left behind; unrelated files untouched; numeric (not lexical) order.
    expect((await readdir(dir)).sort()).toEqual(['checkpoint-000003.ckpt', 'checkpoint-000010.ckpt', 'notes.txt']);
    expect(await listCheckpoints(dir)).toEqual([3, 10]);
    const latest = await loadLatestCheckpoint(dir);
    expect(latest!.path).toBe(path.join(dir, 'checkpoint-000010.ckpt'));
    expect(latest!.state.epoch).toBe(10);
    expect(new Uint8Array(await readFile(latest!.path))).toEqual(encodeCheckpoint(state(10)));
  });
});
