import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors/config-error.js';
import { fileWriteStep, writeFileAtomic } from '../files.js';
import type { EpochMetrics } from './types.js';

/** One saved array (a model weight, an optimizer slot, a best-weights copy). */
export interface NamedArray {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Early-stopping bookkeeping, saved so a resumed run stops exactly where an uninterrupted one would. */
export interface EarlyStoppingState {
  /** Best monitored value so far, `null` before the first epoch. */
  best: number | null;
  bestEpoch: number;
  /** Epochs since the last improvement. */
  wait: number;
  stopped: boolean;
}

/** Everything a checkpoint holds. */
export interface CheckpointState {
  /** Completed epochs. */
  epoch: number;
  /** Completed optimizer steps. */
  step: number;
  /** Settings a resumed run must share with the run that wrote the checkpoint. */
  fingerprint: Record<string, string | number>;
  history: EpochMetrics[];
  earlyStopping: EarlyStoppingState;
  /** Arrays by group: `model`, `optimizer`, `best`, and `extra:NAME` for each named extra state. */
  groups: Record<string, NamedArray[]>;
  /** The JSON part of each named extra state (see `TrainOptions.extraState`). */
  extra?: Record<string, unknown>;
}

/** The array group of the extra state `name`. */
export function extraGroup(name: string): string {
  return `extra:${name}`;
}

interface Header extends Omit<CheckpointState, 'groups'> {
  format: 'shrinkray-checkpoint';
  version: 1;
  tensors: { group: string; name: string; dtype: 'float32' | 'int32'; shape: number[]; offset: number; length: number }[];
}

const magic = 'SRCK';
const filePattern = /^checkpoint-(\d+)\.ckpt$/;

/** File name of the checkpoint after `epoch` completed epochs. */
export function checkpointFileName(epoch: number): string {
  return `checkpoint-${String(epoch).padStart(6, '0')}.ckpt`;
}

/**
 * Serialises a checkpoint: `SRCK`, a uint32 (little-endian) header length, the JSON header, padding
 * to 4 bytes, then the arrays back to back.
 */
export function encodeCheckpoint(state: CheckpointState): Uint8Array {
  const tensors: Header['tensors'] = [];
  let offset = 0;
  for (const [group, arrays] of Object.entries(state.groups)) {
    for (const a of arrays) {
      tensors.push({ group, name: a.name, dtype: a.dtype, shape: a.shape, offset, length: a.data.length });
      offset += a.data.length * 4;
    }
  }
  const { groups: _groups, ...rest } = state;
  const header: Header = { format: 'shrinkray-checkpoint', version: 1, ...rest, tensors };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((8 + json.length) / 4) * 4;
  const out = new Uint8Array(start + offset);
  out.set(new TextEncoder().encode(magic), 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  let i = 0;
  for (const arrays of Object.values(state.groups)) {
    for (const a of arrays) {
      const t = tensors[i++]!;
      out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), start + t.offset);
    }
  }
  return out;
}

/** Parses `encodeCheckpoint`'s bytes; `file` names the source in errors. */
export function decodeCheckpoint(bytes: Uint8Array, file: string): CheckpointState {
  const fail = (why: string): never => {
    throw new ConfigError('resume', `${file} is not a readable shrinkray checkpoint (${why})`);
  };
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== magic) fail('bad magic');
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  let header: Header | undefined;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Header;
  } catch (error) {
    fail(`bad header: ${(error as Error).message}`);
  }
  if (header?.format !== 'shrinkray-checkpoint' || header.version !== 1) return fail('unknown format or version');
  const start = Math.ceil((8 + length) / 4) * 4;
  const groups: Record<string, NamedArray[]> = {};
  for (const t of header.tensors) {
    const begin = start + t.offset;
    const end = begin + t.length * 4;
    if (end > bytes.length) fail(`array ${t.group}/${t.name} runs past the end of the file`);
    // Copy into a fresh, aligned buffer.
    const raw = bytes.slice(begin, end).buffer;
    const data = t.dtype === 'int32' ? new Int32Array(raw) : new Float32Array(raw);
    const group = groups[t.group] ?? [];
    group.push({ name: t.name, dtype: t.dtype, shape: t.shape, data });
    groups[t.group] = group;
  }
  const { format: _f, version: _v, tensors: _t, ...rest } = header;
  return { ...rest, groups };
}

/** Completed-epoch numbers of the checkpoints in `dir`, ascending (none when `dir` does not exist). */
export async function listCheckpoints(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .map((n) => filePattern.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Writes the checkpoint atomically and deletes all but the newest `keep`. Returns its path. */
export async function saveCheckpoint(dir: string, state: CheckpointState, keep: number): Promise<string> {
  const file = path.join(dir, checkpointFileName(state.epoch));
  await writeFileAtomic(file, encodeCheckpoint(state));
  const epochs = await listCheckpoints(dir);
  for (const old of epochs.slice(0, Math.max(0, epochs.length - keep))) {
    const stale = path.join(dir, checkpointFileName(old));
    await fileWriteStep('remove', stale);
    await rm(stale, { force: true });
  }
  return file;
}

/** The newest checkpoint in `dir` and its path, or `undefined` when there is none. */
export async function loadLatestCheckpoint(dir: string): Promise<{ path: string; state: CheckpointState } | undefined> {
  const epochs = await listCheckpoints(dir);
  const last = epochs[epochs.length - 1];
  if (last === undefined) return undefined;
  const file = path.join(dir, checkpointFileName(last));
  return { path: file, state: decodeCheckpoint(new Uint8Array(await readFile(file)), file) };
}

/**
 * The extra state `name` of the newest checkpoint in `dir` (`undefined` when there is no checkpoint or
 * it holds no such state). For callers that need their state before `train` starts, such as a cache
 * of teacher logits that the training targets are built from.
 */
export async function latestExtraState(dir: string, name: string): Promise<{ path: string; epoch: number; json: unknown; arrays: NamedArray[] } | undefined> {
  const found = await loadLatestCheckpoint(dir);
  if (!found) return undefined;
  const { state } = found;
  const arrays = state.groups[extraGroup(name)];
  if (!(state.extra && name in state.extra) && !arrays) return undefined;
  return { path: found.path, epoch: state.epoch, json: state.extra?.[name] ?? null, arrays: arrays ?? [] };
}
