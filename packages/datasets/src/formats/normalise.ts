import { ConfigError } from '@shrinkray/tensor-core';

/** Applies `(v - mean[c]) / std[c]` in place over rows whose last axis has `channels` entries. */
export type Normaliser = (data: Float32Array) => void;

/**
 * The per-channel normalisation of the `mean` / `std` options (torchvision `Normalize`), applied
 * after scaling to [0, 1]. One value applies to every channel; otherwise one per channel (the last
 * axis of an example: image channels, or the features of flat data). `null` when neither is given.
 *
 * @throws ConfigError (option `mean` or `std`) when a list has the wrong length or a std is not positive.
 */
export function channelNormaliser(mean: readonly number[] | undefined, std: readonly number[] | undefined, channels: number, what: string): Normaliser | null {
  if (mean === undefined && std === undefined) return null;
  const expand = (values: readonly number[] | undefined, option: 'mean' | 'std', fallback: number): Float32Array => {
    if (values === undefined) return new Float32Array(channels).fill(fallback);
    if (values.length !== 1 && values.length !== channels) {
      throw new ConfigError(option, `${what} has ${channels} channels; give 1 or ${channels} values, got ${values.length}`);
    }
    if (!values.every(Number.isFinite)) throw new ConfigError(option, `expected finite numbers, got ${values.join(',')}`);
    return values.length === 1 ? new Float32Array(channels).fill(values[0]!) : Float32Array.from(values);
  };
  const m = expand(mean, 'mean', 0);
  const s = expand(std, 'std', 1);
  if (!s.every((v) => v > 0)) throw new ConfigError('std', `every std must be positive, got ${[...s].join(',')}`);
  const inv = s.map((v) => 1 / v);
  return (data) => {
    for (let i = 0; i < data.length; i += channels) {
      for (let c = 0; c < channels; c++) data[i + c] = (data[i + c]! - m[c]!) * inv[c]!;
    }
  };
}
