import { ConfigError, type Dataset, tf, tfl } from '@shrinkray/tensor-core';
import { RecalibrationMismatchError } from './errors/recalibration-mismatch-error.js';

/**
 * Recalibration after structured pruning ("adaptive BN" in folded form): the per-output-channel mean
 * and standard deviation of every touched layer's pre-activation output are measured on a few
 * training batches, in the dense model and in the pruned one, and each pruned layer's kept channels
 * are rescaled and shifted so that its statistics match the dense model's again.
 */
export interface RecalibrateOptions {
  /** Training batches the statistics are measured on (the first `batches` of a seeded shuffle). */
  batches: number;
  /** Rows per batch; default 64. */
  batchSize?: number;
}

/** Per-output-channel statistics of one layer's pre-activation output. */
export interface ChannelStatistics {
  mean: Float64Array;
  std: Float64Array;
}

/** One recalibrated layer in a report. */
export interface RecalibratedLayer {
  layer: string;
  className: string;
  channels: number;
  /** False for a layer without a bias: only its scale was corrected. */
  shifted: boolean;
  /** Channels whose pruned output was constant on the calibration rows (shifted, not rescaled). */
  constant: number;
}

/** What recalibration did. */
export interface RecalibrationReport {
  batches: number;
  rows: number;
  layers: RecalibratedLayer[];
}

const RECALIBRATED = new Set(['Conv2D', 'DepthwiseConv2D', 'Dense']);
const DEFAULT_BATCH_SIZE = 64;
/** Below this standard deviation a pruned channel counts as constant: it is shifted, never rescaled. */
const CONSTANT_STD = 1e-12;

/** Checks recalibration options (before any data is read); returns them with defaults filled in. */
export function checkRecalibrateOptions(options: RecalibrateOptions): Required<RecalibrateOptions> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('recalibrate', `expected { batches, batchSize? }, got ${String(options)}`);
  const { batches, batchSize = DEFAULT_BATCH_SIZE } = options;
  if (!Number.isInteger(batches) || batches < 1) throw new ConfigError('recalibrate.batches', `must be a positive integer, got ${String(batches)}`);
  if (!Number.isInteger(batchSize) || batchSize < 2) throw new ConfigError('recalibrate.batchSize', `must be an integer >= 2 (a standard deviation needs two rows), got ${String(batchSize)}`);
  return { batches, batchSize };
}

/** Conv2D/DepthwiseConv2D/Dense layers of `model`, in topological order. */
export function recalibratableLayers(model: tfl.LayersModel): tfl.layers.Layer[] {
  return model.layers.filter((l) => RECALIBRATED.has(l.getClassName()));
}

/** The calibration inputs: the first `batches` batches of `data` shuffled with `seed`. */
export async function calibrationBatches(data: Dataset, options: Required<RecalibrateOptions>, seed: number): Promise<tf.Tensor[]> {
  const out: tf.Tensor[] = [];
  for await (const { x } of data.batches({ batchSize: options.batchSize, seed })) {
    out.push(tf.tensor(x.data as Float32Array, x.shape as number[], 'float32'));
    if (out.length === options.batches) break;
  }
  return out;
}

interface ConvConfig {
  strides: [number, number];
  padding: 'same' | 'valid';
  dilationRate: [number, number];
  dataFormat: string;
}

/** The layer's output before its (possibly fused) activation, computed from its input and weights. */
function preActivation(layer: tfl.layers.Layer, x: tf.Tensor): tf.Tensor {
  const cls = layer.getClassName();
  const [kernel, bias] = layer.getWeights();
  return tf.tidy(() => {
    let y: tf.Tensor;
    if (cls === 'Dense') y = tf.dot(x, kernel!);
    else {
      const c = layer.getConfig() as unknown as ConvConfig;
      if (c.dataFormat !== 'channelsLast') throw new RecalibrationMismatchError(layer.name, `data format ${c.dataFormat} (only channelsLast)`);
      const pair = (v: number | number[]): [number, number] => (Array.isArray(v) ? [v[0]!, v[1] ?? v[0]!] : [v, v]);
      const args = [pair(c.strides), c.padding, 'NHWC', pair(c.dilationRate)] as const;
      y = cls === 'Conv2D' ? tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, ...args) : tf.depthwiseConv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, ...args);
    }
    return bias ? tf.add(y, bias) : y;
  });
}

/** Accumulates per-channel moments over batches (Chan et al.'s pairwise update, in float64). */
class Moments {
  n = 0;
  mean: Float64Array;
  m2: Float64Array;

  constructor(channels: number) {
    this.mean = new Float64Array(channels);
    this.m2 = new Float64Array(channels);
  }

  add(y: tf.Tensor): void {
    const channels = y.shape[y.rank - 1]!;
    const count = y.size / channels;
    const [m, v] = tf.tidy(() => {
      const flat = tf.reshape(y, [count, channels]);
      const { mean, variance } = tf.moments(flat, 0);
      return [mean.dataSync(), variance.dataSync()];
    });
    const n = this.n + count;
    for (let c = 0; c < channels; c++) {
      const delta = m[c]! - this.mean[c]!;
      this.mean[c] = this.mean[c]! + (delta * count) / n;
      this.m2[c] = this.m2[c]! + v[c]! * count + (delta * delta * this.n * count) / n;
    }
    this.n = n;
  }

  result(): ChannelStatistics {
    return { mean: this.mean, std: this.m2.map((m) => Math.sqrt(m / this.n)) };
  }
}

/** Pre-activation statistics of the named layers of `model` on `inputs`, in one pass per batch. */
export function channelStatistics(model: tfl.LayersModel, layers: readonly string[], inputs: readonly tf.Tensor[]): Map<string, ChannelStatistics> {
  if (layers.length === 0) return new Map();
  const picked = layers.map((name) => model.getLayer(name));
  // layers reading the same tensor (a block's first conv and its shortcut) share one tap
  const sources = [...new Set(picked.map((l) => l.input as tfl.SymbolicTensor))];
  const tap = tfl.model({ inputs: model.inputs, outputs: sources });
  const moments = picked.map((l) => new Moments(l.getWeights()[0]!.shape.at(-1)! * (l.getClassName() === 'DepthwiseConv2D' ? l.getWeights()[0]!.shape.at(-2)! : 1)));
  for (const x of inputs) {
    const taps = tf.tidy(() => {
      const out = tap.predict(x);
      return Array.isArray(out) ? out : [out];
    });
    picked.forEach((l, i) => {
      const y = preActivation(l, taps[sources.indexOf(l.input as tfl.SymbolicTensor)]!);
      moments[i]!.add(y);
      y.dispose();
    });
    tf.dispose(taps);
  }
  return new Map(layers.map((name, i) => [name, moments[i]!.result()]));
}

/** Layers of `pruned` whose weights changed shape from `dense` (pruned outputs or inputs), in topological order. */
export function touchedLayers(dense: tfl.LayersModel, pruned: tfl.LayersModel): string[] {
  return recalibratableLayers(pruned)
    .filter((l) => {
      const original = dense.layers.find((d) => d.name === l.name);
      if (!original) throw new RecalibrationMismatchError(l.name, 'the dense model has no layer of that name');
      const a = l.getWeights().map((w) => w.shape.join('x'));
      const b = original.getWeights().map((w) => w.shape.join('x'));
      return a.join() !== b.join();
    })
    .map((l) => l.name);
}

/** Arguments of {@link recalibrate}. */
export interface RecalibrateArgs {
  dense: tfl.LayersModel;
  /** Rewritten in place. */
  pruned: tfl.LayersModel;
  /** Calibration inputs (see {@link calibrationBatches}). */
  inputs: readonly tf.Tensor[];
  /** Dense statistics measured earlier by {@link channelStatistics} (e.g. once before several prune steps); measured here when absent. */
  denseStatistics?: ReadonlyMap<string, ChannelStatistics>;
  /** For layers whose output channels were removed: the dense channel index of each kept channel. */
  keptOutputs?: ReadonlyMap<string, ArrayLike<number>>;
  /** Layers to correct; default {@link touchedLayers}. */
  layers?: readonly string[];
}

/**
 * Corrects the touched Conv2D/DepthwiseConv2D/Dense layers of `pruned` in topological order so that
 * each one's per-output-channel pre-activation mean and standard deviation on `inputs` equal the
 * dense model's for the same channels: with μ, σ of the pruned layer (measured after every earlier
 * layer was corrected) and μd, σd of the dense one, w' = w·σd/σ and b' = (b − μ)·σd/σ + μd. A layer
 * in a residual block is corrected on its own output, before the merge.
 *
 * @example
 * const inputs = await calibrationBatches(train, { batches: 8, batchSize: 64 }, 1);
 * const report = recalibrate({ dense, pruned, inputs, keptOutputs });
 */
export function recalibrate(args: RecalibrateArgs): RecalibrationReport {
  const { dense, pruned, inputs } = args;
  const layers = args.layers ?? touchedLayers(dense, pruned);
  const denseStats = args.denseStatistics ?? channelStatistics(dense, layers, inputs);
  const report: RecalibrationReport = { batches: inputs.length, rows: inputs.reduce((n, x) => n + x.shape[0]!, 0), layers: [] };
  for (const name of layers) {
    const layer = pruned.getLayer(name);
    const d = denseStats.get(name);
    if (!d) throw new RecalibrationMismatchError(name, 'no dense statistics were measured for it');
    const p = channelStatistics(pruned, [name], inputs).get(name)!;
    const kept = args.keptOutputs?.get(name);
    if (kept ? kept.length !== p.mean.length : p.mean.length !== d.mean.length) {
      throw new RecalibrationMismatchError(name, `it has ${p.mean.length} output channels, the dense layer ${d.mean.length}${kept ? ` and ${kept.length} are listed as kept` : ' and no list of kept channels was given'}`);
    }
    const channels = p.mean.length;
    const scale = new Float32Array(channels);
    const shift = new Float32Array(channels);
    let constant = 0;
    for (let j = 0; j < channels; j++) {
      const c = kept ? kept[j]! : j;
      if (c < 0 || c >= d.mean.length) throw new RecalibrationMismatchError(name, `kept channel ${c} is out of range [0, ${d.mean.length})`);
      const tiny = p.std[j]! < CONSTANT_STD;
      if (tiny) constant++;
      scale[j] = tiny ? 1 : d.std[c]! / p.std[j]!;
      shift[j] = d.mean[c]! - p.mean[j]! * scale[j]!;
    }
    const weights = layer.getWeights();
    const [kernel, bias] = weights;
    const next = tf.tidy(() => {
      // the output channel is the last axis of a Conv2D/Dense kernel and the last two (in, multiplier) of a depthwise one
      const s = layer.getClassName() === 'DepthwiseConv2D' ? tf.tensor(scale, kernel!.shape.slice(-2)) : tf.tensor(scale);
      // b' = b·s + (μd − μ·s), the same as (b − μ)·σd/σ + μd
      return bias ? [tf.mul(kernel!, s), tf.add(tf.mul(bias, tf.tensor(scale)), tf.tensor(shift))] : [tf.mul(kernel!, s)];
    });
    layer.setWeights([...next, ...weights.slice(next.length)]);
    tf.dispose(next);
    report.layers.push({ layer: name, className: layer.getClassName(), channels, shifted: bias !== undefined, constant });
  }
  return report;
}
