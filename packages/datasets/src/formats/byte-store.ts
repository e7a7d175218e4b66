import { type FileHandle, open } from 'node:fs/promises';

/** Random access to a run of bytes: a file region read on demand, or a buffer in memory. */
export interface ByteStore {
  /** Number of bytes. */
  readonly size: number;
  /** True when the bytes are held in memory. */
  readonly inMemory: boolean;
  /** `length` bytes from `offset` (relative to the store's start). */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Bytes held in memory. */
export class MemoryBytes implements ByteStore {
  readonly inMemory = true;
  readonly size: number;

  constructor(readonly bytes: Uint8Array) {
    this.size = bytes.length;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    return this.bytes.subarray(offset, offset + length);
  }

  async close(): Promise<void> {}
}

/**
 * A region of an open file, read with positional reads (several reads may be in flight). The handle
 * may be shared by several stores; `owner` stores close it.
 */
export class FileBytes implements ByteStore {
  readonly inMemory = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly start: number,
    readonly size: number,
    private readonly owner: boolean,
  ) {}

  /** Opens `file` and returns a store over `[start, start + size)` that closes the file. */
  static async open(file: string, start: number, size: number): Promise<FileBytes> {
    return new FileBytes(await open(file, 'r'), start, size, true);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(out, done, length - done, this.start + offset + done);
      if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${this.start + offset + done}`);
      done += bytesRead;
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.owner) await this.handle.close();
  }
}

/** Reads `length` bytes at `position` of an open file (fewer at end of file). */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const out = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return out.subarray(0, done);
}
