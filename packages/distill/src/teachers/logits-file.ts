import { readFile } from 'node:fs/promises';
import { formatShape, Tensor, writeFileAtomic } from '@shrinkray/tensor-core';
import { LogitsFileError } from '../errors/logits-file-error.js';

/**
 * Teacher logits files are NumPy `.npy` files (format versions 1.0–3.0) holding one C-ordered
 * 2-D array `[N, C]`: row `i` is the teacher's logits for training example `i`, in the order of the
 * training data handed to `distill` (labelled rows first, then transfer rows). Element type
 * little-endian float32 (`<f4`) or float64 (`<f8`, read as float32). Python writes one with
 * `numpy.save('teacher.npy', logits.astype('float32'))`; {@link writeLogitsFile} writes version 1.0 `<f4`.
 */
export const LOGITS_FILE_FORMAT = 'npy (NumPy 1.0-3.0, C order, 2-D [N, C], <f4 or <f8)';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function parseHeader(file: string, header: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new LogitsFileError(file, `expected an npy header dict with descr, fortran_order and shape, found ${JSON.stringify(header.trim())}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new LogitsFileError(file, `bad shape (${shapeText}) in the npy header`);
  return { descr, fortran: fortran === 'True', shape };
}

/** Decodes `.npy` bytes into a float32 `[N, C]` tensor; `file` names the source in errors. */
export function decodeLogitsFile(bytes: Uint8Array, file = 'logits.npy'): Tensor<'float32'> {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new LogitsFileError(file, `expected an npy file (magic \\x93NUMPY), found ${bytes.length} bytes without it`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new LogitsFileError(file, 'truncated npy header');
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new LogitsFileError(file, `npy format version ${major}.${bytes[7]} is not supported (expected 1.x, 2.x or 3.x)`);
  }
  if (start + headerLen > bytes.length) throw new LogitsFileError(file, `npy header of ${headerLen} bytes runs past the end of the ${bytes.length}-byte file`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const { descr, fortran, shape } = parseHeader(file, header);
  if (shape.length !== 2) throw new LogitsFileError(file, `expected a 2-D array [N, C] of logits, found shape ${formatShape(shape)}`);
  const count = shape[0]! * shape[1]!;
  if (fortran && shape[0]! > 1 && shape[1]! > 1) throw new LogitsFileError(file, 'expected C order (fortran_order False), found Fortran order; save with numpy.ascontiguousarray');
  const dataStart = start + headerLen;
  let width: number;
  if (descr === '<f4' || descr === '=f4' || (descr === '|f4')) width = 4;
  else if (descr === '<f8' || descr === '=f8') width = 8;
  else throw new LogitsFileError(file, `expected little-endian float32 ('<f4') or float64 ('<f8') elements, found '${descr}'`);
  if (bytes.length - dataStart !== count * width) {
    throw new LogitsFileError(file, `shape ${formatShape(shape)} of '${descr}' needs ${count * width} data bytes, found ${bytes.length - dataStart}`);
  }
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = width === 4 ? view.getFloat32(dataStart + 4 * i, true) : view.getFloat64(dataStart + 8 * i, true);
  return new Tensor('float32', shape, out, file);
}

/** Encodes a float32 `[N, C]` tensor as `.npy` (version 1.0, `<f4`, C order). */
export function encodeLogitsFile(logits: Tensor<'float32'>): Uint8Array {
  if (logits.rank !== 2) throw new LogitsFileError('logits', `expected a 2-D tensor [N, C], found ${formatShape(logits.shape)}`);
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${logits.shape[0]}, ${logits.shape[1]}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + logits.size * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const dataStart = 10 + header.length;
  for (let i = 0; i < logits.size; i++) view.setFloat32(dataStart + 4 * i, logits.data[i]!, true);
  return out;
}

/** Reads a teacher-logits `.npy` file (see {@link LOGITS_FILE_FORMAT}). Throws `LogitsFileError` naming the file. */
export async function readLogitsFile(file: string): Promise<Tensor<'float32'>> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (error) {
    throw new LogitsFileError(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
  return decodeLogitsFile(bytes, file);
}

/** Writes `[N, C]` logits as an `.npy` file, atomically. */
export async function writeLogitsFile(file: string, logits: Tensor<'float32'>): Promise<void> {
  await writeFileAtomic(file, encodeLogitsFile(logits));
}
