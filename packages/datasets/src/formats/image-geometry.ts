import { type DeclaredShape, formatShape, ShapeMismatchError } from '@shrinkray/tensor-core';

/** What a model's input asks of an image: size (when fixed) and channel count. */
export interface ImageTarget {
  /** `null` when the model leaves it free. */
  readonly height: number | null;
  readonly width: number | null;
  /** 1 (grey) or 3 (RGB); `null` when unknown (taken from the images). */
  readonly channels: 1 | 3 | null;
}

const dim = (d: number | string | null | undefined): number | null => (typeof d === 'number' ? d : null);

function channelCount(c: number, declared: DeclaredShape): 1 | 3 {
  if (c === 1 || c === 3) return c;
  throw new ShapeMismatchError({ tensor: 'images', expected: 'a model input with 1 (grey) or 3 (RGB) channels', found: `model input ${formatShape(declared)}` });
}

/**
 * The image size and channels a model's declared input needs: `[N,H,W,C]` (NHWC), `[N,C,H,W]`
 * (NCHW, told apart by a channel axis of 1 or 3 first), `[N,H,W]` (grey), or flat `[N,F]` with
 * F = s² (grey s×s) or 3s² (RGB s×s, NHWC order). Without a shape, everything comes from the images.
 *
 * @throws ShapeMismatchError when the shape cannot take an image.
 */
export function imageTarget(declared: DeclaredShape | undefined): ImageTarget {
  if (declared === undefined) return { height: null, width: null, channels: null };
  const fail = (why: string): never => {
    throw new ShapeMismatchError({ tensor: 'images', expected: 'a model input that takes images ([N,H,W,C], [N,C,H,W], [N,H,W] or [N,s*s*C])', found: `model input ${formatShape(declared)}`, detail: why });
  };
  const d = declared.slice(1).map(dim);
  if (d.length === 3) {
    const [a, b, c] = d;
    const first = a === 1 || a === 3;
    const last = c === 1 || c === 3;
    if (first && !last) return { channels: channelCount(a!, declared), height: b!, width: c! };
    if (last) return { height: a!, width: b!, channels: channelCount(c!, declared) };
    return fail('neither the first nor the last axis is a channel axis of 1 or 3');
  }
  if (d.length === 2) return { height: d[0]!, width: d[1]!, channels: 1 };
  if (d.length === 1) {
    const f = d[0];
    if (f === null || f === undefined) return { height: null, width: null, channels: null };
    const grey = Math.round(Math.sqrt(f));
    if (grey * grey === f) return { height: grey, width: grey, channels: 1 };
    const rgb = Math.round(Math.sqrt(f / 3));
    if (3 * rgb * rgb === f) return { height: rgb, width: rgb, channels: 3 };
    return fail(`${f} features are neither s*s (grey) nor 3*s*s (RGB)`);
  }
  return fail('unexpected rank');
}
