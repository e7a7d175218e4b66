import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { ConfigError } from '@shrinkray/tensor-core';
import { EventFileError } from './errors/event-file-error.js';
import { encodeFileVersion, encodeScalars, type ScalarForm } from './proto.js';
import { frameRecord } from './record.js';

/** Options of {@link TensorBoardWriter.open}. */
export interface TensorBoardWriterOptions {
  /** How scalars are stored; default `simple` (`simple_value`, read by every TensorBoard version). */
  form?: ScalarForm;
  /** Appended to the file name, e.g. `.distill` (TensorBoard only needs `tfevents` in the name). */
  filenameSuffix?: string;
  /** Wall clock in seconds since the epoch; default `Date.now() / 1000`. */
  clock?: () => number;
}

/**
 * Writes one TensorBoard event file, `events.out.tfevents.<seconds>.<host>[suffix]`, in a log
 * directory (created if missing). The first record is the `brain.Event:2` file version; every
 * {@link scalar} call appends one `Event` record at once (an event file is append-only, and
 * TensorBoard reads complete records while the file grows). {@link flush} makes the records written
 * so far durable (fdatasync); {@link close} syncs and closes. A new file never replaces an existing one.
 */
export class TensorBoardWriter {
  /** The event file's path. */
  readonly path: string;
  private fd: number | undefined;
  private readonly form: ScalarForm;
  private readonly clock: () => number;

  private constructor(file: string, fd: number, options: TensorBoardWriterOptions) {
    this.path = file;
    this.fd = fd;
    this.form = options.form ?? 'simple';
    this.clock = options.clock ?? (() => Date.now() / 1000);
  }

  /** Creates `logdir` if needed and a new event file in it. Throws {@link EventFileError} when neither can be made. */
  static open(logdir: string, options: TensorBoardWriterOptions = {}): TensorBoardWriter {
    if (options.form !== undefined && options.form !== 'simple' && options.form !== 'tensor') {
      throw new ConfigError('form', `expected 'simple' or 'tensor', got ${JSON.stringify(options.form)}`);
    }
    const suffix = options.filenameSuffix ?? '';
    if (/[/\\]/.test(suffix)) throw new ConfigError('filenameSuffix', `must not contain a path separator, got ${JSON.stringify(suffix)}`);
    try {
      mkdirSync(logdir, { recursive: true });
    } catch (cause) {
      throw new EventFileError(logdir, `cannot create the log directory (${(cause as Error).message})`, { cause });
    }
    const clock = options.clock ?? (() => Date.now() / 1000);
    const now = clock();
    const base = path.join(logdir, `events.out.tfevents.${Math.floor(now)}.${hostname()}${suffix}`);
    for (let n = 0; ; n++) {
      const file = n === 0 ? base : `${base}.${n}`;
      let fd: number;
      try {
        fd = openSync(file, 'wx');
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'EEXIST' && n < 1000) continue;
        throw new EventFileError(file, `cannot create the event file (${(cause as Error).message})`, { cause });
      }
      const writer = new TensorBoardWriter(file, fd, { ...options, clock });
      writer.append(encodeFileVersion(now));
      return writer;
    }
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.fd === undefined;
  }

  /** Appends one scalar `value` under `tag` at `step` (a non-negative integer, usually the optimizer step or the epoch). */
  scalar(tag: string, value: number, step: number): void {
    this.scalars({ [tag]: value }, step);
  }

  /** Appends several scalars at one step, as one `Event`. */
  scalars(values: Readonly<Record<string, number>>, step: number): void {
    if (!Number.isSafeInteger(step) || step < 0) throw new ConfigError('step', `must be a non-negative integer, got ${step}`);
    const entries = Object.entries(values);
    for (const [tag, value] of entries) {
      if (tag === '') throw new ConfigError('tag', 'must not be empty');
      if (typeof value !== 'number') throw new ConfigError(`tag ${tag}`, `value must be a number, got ${typeof value}`);
    }
    if (entries.length === 0) return;
    this.append(encodeScalars(this.clock(), step, entries.map(([tag, value]) => ({ tag, value })), this.form));
  }

  /** Makes every record written so far durable on disk. */
  flush(): void {
    const fd = this.openFd();
    try {
      fdatasyncSync(fd);
    } catch (cause) {
      throw new EventFileError(this.path, `cannot sync (${(cause as Error).message})`, { cause });
    }
  }

  /** Syncs and closes the file; later calls do nothing. */
  close(): void {
    const fd = this.fd;
    if (fd === undefined) return;
    this.fd = undefined;
    try {
      fsyncSync(fd);
    } catch (cause) {
      throw new EventFileError(this.path, `cannot sync (${(cause as Error).message})`, { cause });
    } finally {
      closeSync(fd);
    }
  }

  private openFd(): number {
    if (this.fd === undefined) throw new EventFileError(this.path, 'the writer is closed');
    return this.fd;
  }

  private append(data: Uint8Array): void {
    const fd = this.openFd();
    const record = frameRecord(data);
    try {
      // One write per record: a reader sees whole records or a short tail it waits on, never a mix.
      let done = 0;
      while (done < record.length) done += writeSync(fd, record, done, record.length - done);
    } catch (cause) {
      throw new EventFileError(this.path, `cannot write (${(cause as Error).message})`, { cause });
    }
  }
}
