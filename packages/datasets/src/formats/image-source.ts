import { DataError, type ExampleSource, Tensor } from '@shrinkray/tensor-core';
import type { cropInto as CropInto, decodeImage as DecodeImage, ImageTransform } from './image-decode.js';
import { mapPool } from './pool.js';

/** The decoder functions (loaded on first use, so `sharp` is only loaded for image data). */
export interface ImageDecoder {
  decodeImage: typeof DecodeImage;
  cropInto: typeof CropInto;
}

/**
 * Examples decoded from image files on demand: each `read` decodes just its batch, `concurrency`
 * images at a time (sharp runs them on libuv's thread pool, so every core works), scales to
 * [0, 1] and applies the per-channel normalisation. Nothing else is kept in memory.
 */
export class ImageSource implements ExampleSource<'float32'> {
  readonly dtype = 'float32';
  readonly inMemory = false;
  readonly size: number;
  readonly exampleShape: readonly number[];

  constructor(
    readonly name: string,
    private readonly files: readonly string[],
    /** Width and height of each file (from its header), to skip resampling images already of the target size. */
    private readonly sizes: { width: Int32Array; height: Int32Array },
    private readonly transform: ImageTransform,
    /** Value of each 8-bit level per channel (`channelLookup`): scaling and normalisation in one lookup. */
    private readonly lookup: Float32Array,
    private readonly decoder: ImageDecoder,
    private readonly concurrency: number,
  ) {
    this.size = files.length;
    this.exampleShape = Object.freeze([transform.height, transform.width, transform.channels]);
  }

  async read(indices: Int32Array, signal?: AbortSignal): Promise<Tensor<'float32'>> {
    const t = this.transform;
    const per = t.height * t.width * t.channels;
    const out = new Float32Array(indices.length * per);
    await mapPool(
      Array.from(indices),
      this.concurrency,
      async (j, k) => {
        const file = this.files[j]!;
        let img: Awaited<ReturnType<typeof DecodeImage>>;
        try {
          img = await this.decoder.decodeImage(file, t, { width: this.sizes.width[j]!, height: this.sizes.height[j]! });
        } catch (error) {
          throw new DataError('corrupt', { source: file }, `cannot decode the image (${(error as Error).message.split('\n')[0]}); use skipCorrupt (--skip-corrupt) to skip such files`);
        }
        if (img.width < t.width || img.height < t.height || img.channels < t.channels) {
          throw new DataError('corrupt', { source: file }, `decoded to ${img.width}x${img.height}x${img.channels}, expected at least ${t.width}x${t.height}x${t.channels}`);
        }
        this.decoder.cropInto(img, t, this.lookup, out, k * per);
      },
      signal,
    );
    return new Tensor('float32', [indices.length, t.height, t.width, t.channels], out, `${this.name}.x`);
  }
}
