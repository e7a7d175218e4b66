import sharp from 'sharp';

/** How every image of a dataset is brought to the model's input. */
export interface ImageTransform {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  /** Shorter side first resized to this, then centre-cropped; otherwise scaled to cover height×width. */
  readonly resize?: number;
}

/** The bytes of one decoded image, `height × width × channels` uint8, row-major HWC. */
export interface DecodedImage {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

// One libvips thread per image: images are decoded in parallel instead (libuv's thread pool), which
// scales better for small images; no operation cache (nothing is decoded twice in a pass).
sharp.concurrency(1);
sharp.cache(false);

/**
 * Decodes one PNG/JPEG file to `height × width × channels` uint8: alpha dropped, converted to grey
 * or sRGB, then resized (bilinear, antialiased) so its shorter side is `resize` (or so it covers
 * the target when `resize` is not set) and centre-cropped. An image already of the target size is
 * not resampled. Truncated or damaged files reject (libvips warnings count as errors).
 */
export async function decodeImage(file: string, t: ImageTransform, size: { width: number; height: number }): Promise<DecodedImage> {
  let pipeline = sharp(file, { failOn: 'warning', limitInputPixels: 2 ** 28 }).removeAlpha();
  pipeline = t.channels === 1 ? pipeline.greyscale() : pipeline.toColourspace('srgb');
  if (t.resize !== undefined) {
    const s = Math.min(size.width, size.height);
    if (s !== t.resize) pipeline = pipeline.resize({ width: t.resize, height: t.resize, fit: 'outside', kernel: 'linear' });
  } else if (size.width !== t.width || size.height !== t.height) {
    pipeline = pipeline.resize({ width: t.width, height: t.height, fit: 'cover', position: 'centre', kernel: 'linear' });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/**
 * Writes the centre `t.height × t.width` crop of `img` into `out` at `offset` (HWC order), keeping
 * `t.channels` channels, each 8-bit level mapped through `lookup` (`channel * 256 + level`: scaled to
 * [0, 1] and normalised, see `channelLookup`).
 */
export function cropInto(img: DecodedImage, t: ImageTransform, lookup: Float32Array, out: Float32Array, offset: number): void {
  const top = Math.round((img.height - t.height) / 2);
  const left = Math.round((img.width - t.width) / 2);
  const c = t.channels;
  const src = img.data;
  const srcC = img.channels;
  let o = offset;
  for (let y = 0; y < t.height; y++) {
    let s = ((top + y) * img.width + left) * srcC;
    if (c === 1) {
      for (let x = 0; x < t.width; x++, s += srcC) out[o++] = lookup[src[s]!]!;
    } else {
      for (let x = 0; x < t.width; x++, s += srcC) {
        out[o++] = lookup[src[s]!]!;
        out[o++] = lookup[256 + src[s + 1]!]!;
        out[o++] = lookup[512 + src[s + 2]!]!;
      }
    }
  }
}
