import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The independent Python reader of event files (framing, CRC32C and protobuf decoded by hand). */
export const readerScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'read_events.py');

export interface ReadTensor {
  dtype: number;
  dims: number[];
  float_val: number[];
  content: string;
}

export interface ReadValue {
  tag: string;
  simple_value?: number;
  bits?: number;
  tensor?: ReadTensor;
  metadata?: { plugin_name: string; plugin_content: string; data_class: number };
}

export interface ReadEvent {
  wall_time: number;
  step: number;
  file_version?: string;
  values?: ReadValue[];
}

const special: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/**
 * Runs `/usr/bin/python3 read_events.py file`: the hand decoder, cross-checked record by record against
 * Google's protobuf runtime (Debian's python3-protobuf, which python3-onnx depends on; required here).
 * Throws with the reader's message when it rejects the file.
 */
export function readEvents(file: string): ReadEvent[] {
  const run = spawnSync('/usr/bin/python3', [readerScript, file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr.trim() || `python3 exited with ${run.status}`);
  const out = JSON.parse(run.stdout, (_key, v) => (typeof v === 'string' && v in special ? special[v] : v)) as { events: ReadEvent[]; protobuf: boolean };
  if (!out.protobuf) throw new Error('read_events.py: google.protobuf is missing (apt-get install python3-protobuf)');
  return out.events;
}

/** The scalar events as `[tag, value, step]` in file order (simple_value or a rank-0 float tensor). */
export function scalarsOf(events: readonly ReadEvent[]): [string, number, number][] {
  return events.flatMap((e) => (e.values ?? []).map((v): [string, number, number] => [v.tag, v.simple_value ?? v.tensor!.float_val[0]!, e.step]));
}
