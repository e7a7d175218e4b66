import { type FileHandle, open } from 'node:fs/promises';
import { readAt } from './byte-store.js';

/** What a PNG or JPEG header says: size, colour channels (alpha not counted), format. */
export interface ImageHeader {
  readonly format: 'png' | 'jpeg';
  readonly width: number;
  readonly height: number;
  /** 1 (grey) or 3 (colour); alpha is not counted. */
  readonly channels: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** PNG colour types: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 3, 4: 1, 6: 3 };

async function jpegHeader(handle: FileHandle): Promise<ImageHeader> {
  let pos = 2;
  for (let segments = 0; segments < 1000; segments++) {
    const head = await readAt(handle, pos, 9);
    if (head.length < 4) throw new Error('JPEG ends before its frame header');
    if (head[0] !== 0xff) throw new Error(`bad JPEG marker at byte ${pos}`);
    const marker = head[1]!;
    if (marker === 0xff) {
      pos++;
      continue;
    }
    const length = (head[2]! << 8) | head[3]!;
    // SOF0-SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const sof = await readAt(handle, pos + 4, 6);
      if (sof.length < 6) throw new Error('JPEG frame header truncated');
      const height = (sof[1]! << 8) | sof[2]!;
      const width = (sof[3]! << 8) | sof[4]!;
      const components = sof[5]!;
      return { format: 'jpeg', width, height, channels: components === 1 ? 1 : 3 };
    }
    if (marker === 0xd9 || marker === 0xda) throw new Error('JPEG has no frame header before its scan');
    if (length < 2) throw new Error(`bad JPEG segment length at byte ${pos}`);
    pos += 2 + length;
  }
  throw new Error('JPEG frame header not found');
}

/**
 * Reads the size and channels of a PNG or JPEG from its header (a few small reads; nothing is
 * decoded). Rejects for any other content, or a header that is damaged or cut short.
 */
export async function readImageHeader(file: string): Promise<ImageHeader> {
  const handle = await open(file, 'r');
  try {
    const head = await readAt(handle, 0, 33);
    if (PNG_SIGNATURE.every((b, i) => head[i] === b)) {
      if (head.length < 33 || String.fromCharCode(...head.subarray(12, 16)) !== 'IHDR') throw new Error('PNG without an IHDR header');
      const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
      const channels = PNG_CHANNELS[head[25]!];
      if (channels === undefined) throw new Error(`PNG colour type ${head[25]}`);
      return { format: 'png', width: view.getUint32(16), height: view.getUint32(20), channels };
    }
    if (head[0] === 0xff && head[1] === 0xd8) return await jpegHeader(handle);
    throw new Error('neither a PNG nor a JPEG file');
  } finally {
    await handle.close();
  }
}
