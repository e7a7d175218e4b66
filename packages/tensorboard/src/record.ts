import { crc32c } from '@node-rs/crc32';

const MASK_DELTA = 0xa282ead8;

/**
 * The masked CRC32C that TFRecord files store: the CRC rotated right by 15 bits plus a constant
 * (so that a CRC computed over data that itself holds CRCs stays well distributed).
 */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes) >>> 0;
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

/**
 * One TFRecord: the data's length as a little-endian uint64, the masked CRC32C of those 8 bytes,
 * the data, and the masked CRC32C of the data (all integers little-endian).
 */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}
