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
  const stats = channelStats(mean, std, channels, what);
  if (stats === null) return null;
  const { m, inv } = stats;
  return (data) => {
    for (let i = 0; i < data.length; i += channels) {
      for (let c = 0; c < channels; c++) data[i + c] = (data[i + c]! - m[c]!) * inv[c]!;
    }
  };
}

/**
 * The value of every 8-bit level in every channel after scaling to [0, 1] and the optional
 * normalisation: entry `c * 256 + v`. The same float32 roundings as `/ 255` followed by
 * `channelNormaliser`, in one lookup per pixel.
 *
 * @throws ConfigError as `channelNormaliser`.
 */
export function channelLookup(mean: readonly number[] | undefined, std: readonly number[] | undefined, channels: number, what: string): Float32Array {
  const stats = channelStats(mean, std, channels, what);
  const table = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) {
    for (let v = 0; v < 256; v++) {
      const scaled = Math.fround(v / 255);
      table[c * 256 + v] = stats === null ? scaled : (scaled - stats.m[c]!) * stats.inv[c]!;
    }
  }
  return table;
}

/** Per-channel mean and 1/std as float32, or `null` when neither option is given. */
function channelStats(mean: readonly number[] | undefined, std: readonly number[] | undefined, channels: number, what: string): { m: Float32Array; inv: Float32Array } | null {
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
  return { m, inv: s.map((v) => 1 / v) };
}
