import { ConfigError, tf, tfl } from '@shrinkray/tensor-core';
import { BatchNormFoldError } from './errors/batch-norm-fold-error.js';
import { channelStatistics } from './recalibrate.js';

/**
 * BatchNormalization re-insertion for fine-tuning a model whose BatchNormalization was folded into its
 * convolutions (every `torch.onnx.export` in eval mode): a BN layer goes after each Conv2D and
 * DepthwiseConv2D that is not already followed by one, initialised from statistics measured on
 * training batches so that the model's inference output is unchanged; the model is fine-tuned with BN
 * in training mode (normalised activations, what a PyTorch user fine-tuning the unfolded model gets);
 * afterwards every inserted BN is folded back into its convolution's kernel and bias, so the result
 * has the original layers and exports to the same ONNX graph.
 */
export interface BatchNormReinsertOptions {
  /** Momentum of the inserted layers' moving mean/variance (tfjs convention: kept fraction); default 0.9 (PyTorch's 0.1). */
  momentum?: number;
  /** Variance epsilon of the inserted layers; default 1e-5 (PyTorch's). */
  epsilon?: number;
  /**
   * How γ and β start. `'identity'` (default): γ = √(σ² + ε), β = μ, so the model's inference output
   * is unchanged at insertion. `'fresh'`: γ = 1, β = 0 as a newly built BN layer (the convolution's
   * output is normalised from the first step; measured to fine-tune a heavily pruned MobileNetV2 better).
   */
  init?: BatchNormInit;
}

/** How re-inserted BatchNormalization layers start (`BatchNormReinsertOptions.init`); the first is the default. */
export const BATCH_NORM_INITS = ['identity', 'fresh'] as const;
export type BatchNormInit = (typeof BATCH_NORM_INITS)[number];

/** True when `value` names a {@link BatchNormInit}. */
export function isBatchNormInit(value: unknown): value is BatchNormInit {
  return (BATCH_NORM_INITS as readonly unknown[]).includes(value);
}

/** One BatchNormalization layer inserted after a convolution. */
export interface InsertedBatchNorm {
  /** The convolution. */
  layer: string;
  className: string;
  /** The inserted BatchNormalization layer. */
  batchNorm: string;
  /** The convolution's own activation, moved to this Activation layer after the BN while it is in. */
  activation?: { layer: string; name: string };
  /** False when the convolution has no bias: the folded layer gains one (it carries the BN's shift). */
  hadBias: boolean;
}

/** A model with BatchNormalization inserted; {@link foldBatchNorm} turns it back into the original structure. */
export interface BatchNormInsertion {
  /** The model with the inserted layers (a new model; the input model is not modified). */
  model: tfl.LayersModel;
  inserted: InsertedBatchNorm[];
  /** Convolutions left alone, with the reason (already followed by BatchNormalization, shared layer). */
  skipped: { layer: string; reason: string }[];
  /** Keras-JSON topology of the input model, the structure {@link foldBatchNorm} rebuilds. */
  topology: unknown;
}

const CONVOLUTIONS = new Set(['Conv2D', 'DepthwiseConv2D']);
const DEFAULT_MOMENTUM = 0.9;
const DEFAULT_EPSILON = 1e-5;

/** True when a `finetune.batchNorm` setting asks for BatchNormalization re-insertion. */
export function reinsertsBatchNorm(setting: 'none' | 'reinsert' | BatchNormReinsertOptions | undefined): boolean {
  return setting !== undefined && setting !== 'none';
}

/** Checks BN re-insertion options (before any data is read); returns them with defaults filled in. */
export function checkBatchNormOptions(options: BatchNormReinsertOptions, name = 'batchNorm'): Required<BatchNormReinsertOptions> {
  if (typeof options !== 'object' || options === null) throw new ConfigError(name, `expected { momentum?, epsilon?, init? }, got ${String(options)}`);
  const { momentum = DEFAULT_MOMENTUM, epsilon = DEFAULT_EPSILON, init = BATCH_NORM_INITS[0] } = options;
  if (!isBatchNormInit(init)) throw new ConfigError(`${name}.init`, `must be one of ${BATCH_NORM_INITS.join(', ')}, got ${String(init)}`);
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum < 1)) throw new ConfigError(`${name}.momentum`, `must be a number in [0, 1), got ${String(momentum)}`);
  if (typeof epsilon !== 'number' || !(epsilon > 0 && Number.isFinite(epsilon))) throw new ConfigError(`${name}.epsilon`, `must be a positive number, got ${String(epsilon)}`);
  return { momentum, epsilon, init };
}

type InboundRef = [string, number, number, Record<string, unknown>];
interface LayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: InboundRef[][];
}
interface Topology {
  class_name: string;
  config: { name: string; layers: LayerJson[]; input_layers: unknown; output_layers: [string, number, number][] };
}

function topologyOf(model: tfl.LayersModel): Topology {
  const t = model.toJSON(null, false) as unknown as Topology;
  if (!Array.isArray(t.config?.layers)) throw new ConfigError('model', `model ${model.name} is not a functional/sequential LayersModel with a layer list`);
  return t;
}

/** A layer name not yet used in `taken` (which it is added to). */
function freshName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

/** Which convolutions get a BN layer, and why the others do not. */
function selectConvolutions(topology: Topology): { picked: LayerJson[]; skipped: { layer: string; reason: string }[] } {
  const consumers = new Map<string, LayerJson[]>();
  for (const l of topology.config.layers) for (const node of l.inbound_nodes) for (const [src] of node) consumers.set(src, [...(consumers.get(src) ?? []), l]);
  const picked: LayerJson[] = [];
  const skipped: { layer: string; reason: string }[] = [];
  for (const l of topology.config.layers) {
    if (!CONVOLUTIONS.has(l.class_name)) continue;
    const next = consumers.get(l.name) ?? [];
    if (l.inbound_nodes.length !== 1) skipped.push({ layer: l.name, reason: `shared layer (${l.inbound_nodes.length} call sites)` });
    else if (l.config['data_format'] !== 'channels_last') skipped.push({ layer: l.name, reason: `data format ${String(l.config['data_format'])} (only channels_last)` });
    else if (next.length === 1 && next[0]!.class_name === 'BatchNormalization') skipped.push({ layer: l.name, reason: `already followed by BatchNormalization ${next[0]!.name}` });
    else picked.push(l);
  }
  return { picked, skipped };
}

/**
 * Inserts a BatchNormalization layer after every Conv2D/DepthwiseConv2D of `model` not already followed
 * by one (a convolution's own activation moves to an Activation layer after the BN). Each BN starts
 * from the per-channel mean μ and variance σ² of its convolution's output (before the activation) on
 * `inputs`: moving mean μ, moving variance σ², γ = √(σ² + ε), β = μ, so in inference it is the
 * identity and the model's outputs are unchanged (up to float rounding). In training mode it
 * normalises each batch and then scales back by γ, β, which start at the measured statistics.
 *
 * @example
 * const inputs = await calibrationBatches(train, { batches: 16, batchSize: 64 }, 1);
 * const insertion = await insertBatchNorm(pruned, inputs);
 * await train({ model: insertion.model, data: train, epochs: 3 });
 * const finetuned = await foldBatchNorm(insertion);
 */
export async function insertBatchNorm(model: tfl.LayersModel, inputs: readonly tf.Tensor[], options: BatchNormReinsertOptions = {}): Promise<BatchNormInsertion> {
  const { momentum, epsilon, init } = checkBatchNormOptions(options);
  if (inputs.length === 0) throw new ConfigError('inputs', 'need at least one batch of inputs to measure the convolutions\' statistics on');
  const original = topologyOf(model);
  const topology = JSON.parse(JSON.stringify(original)) as Topology;
  const { picked, skipped } = selectConvolutions(topology);
  const taken = new Set(topology.config.layers.map((l) => l.name));
  const inserted: InsertedBatchNorm[] = [];
  const renamed = new Map<string, string>();
  const layers: LayerJson[] = [];
  const pickedNames = new Set(picked.map((l) => l.name));
  for (const l of topology.config.layers) {
    layers.push(l);
    if (!pickedNames.has(l.name)) continue;
    const batchNorm = freshName(`${l.name}_bn`, taken);
    const entry: InsertedBatchNorm = { layer: l.name, className: l.class_name, batchNorm, hadBias: l.config['use_bias'] !== false };
    layers.push({
      name: batchNorm,
      class_name: 'BatchNormalization',
      config: { name: batchNorm, axis: -1, momentum, epsilon, center: true, scale: true, trainable: true },
      inbound_nodes: [[[l.name, 0, 0, {}]]],
    });
    let last = batchNorm;
    const act = l.config['activation'];
    if (typeof act === 'string' && act !== 'linear') {
      const name = freshName(`${l.name}_act`, taken);
      layers.push({ name, class_name: 'Activation', config: { name, activation: act, trainable: true }, inbound_nodes: [[[batchNorm, 0, 0, {}]]] });
      l.config['activation'] = 'linear';
      entry.activation = { layer: name, name: act };
      last = name;
    }
    renamed.set(l.name, last);
    inserted.push(entry);
  }
  // every other reference to a picked convolution now reads the end of its BN (+ activation) chain
  const own = new Set(inserted.flatMap((e) => [e.batchNorm, e.activation?.layer].filter((n): n is string => n !== undefined)));
  for (const l of layers) {
    if (own.has(l.name)) continue;
    for (const node of l.inbound_nodes) for (const ref of node) ref[0] = renamed.get(ref[0]) ?? ref[0];
  }
  for (const ref of topology.config.output_layers) ref[0] = renamed.get(ref[0]) ?? ref[0];
  topology.config.layers = layers;

  const stats = channelStatistics(model, inserted.map((e) => e.layer), inputs);
  const rebuilt = await tfl.models.modelFromJSON({ modelTopology: topology } as unknown as Parameters<typeof tfl.models.modelFromJSON>[0]);
  const byConv = new Map(inserted.map((e) => [e.batchNorm, e.layer]));
  for (const layer of rebuilt.layers) {
    if (layer.weights.length === 0) continue;
    const conv = byConv.get(layer.name);
    if (conv === undefined) {
      layer.setWeights(model.getLayer(layer.name).getWeights());
      continue;
    }
    const { mean, std } = stats.get(conv)!;
    const variance = Float32Array.from(std, (s) => s * s);
    const mu = Float32Array.from(mean);
    const gamma = init === 'fresh' ? new Float32Array(mu.length).fill(1) : Float32Array.from(variance, (v) => Math.sqrt(v + epsilon));
    const beta = init === 'fresh' ? new Float32Array(mu.length) : mu;
    const values = [gamma, beta, mu, variance].map((v) => tf.tensor1d(v));
    layer.setWeights(values);
    tf.dispose(values);
  }
  return { model: rebuilt, inserted, skipped, topology: original };
}

/**
 * Folds every inserted BatchNormalization of `insertion.model` (inference form: moving statistics,
 * γ, β) back into its convolution and returns a new model with the structure of the model that went
 * into {@link insertBatchNorm} (its activations back in place; a convolution without a bias gains
 * one): with s = γ/√(σ² + ε), W' = W·s per output channel and b' = (b − μ)·s + β. Every other layer's
 * weights are copied from `insertion.model`. The insertion's model is not modified or disposed.
 */
export async function foldBatchNorm(insertion: BatchNormInsertion): Promise<tfl.LayersModel> {
  const { model } = insertion;
  const topology = JSON.parse(JSON.stringify(insertion.topology)) as Topology;
  const byConv = new Map(insertion.inserted.map((e) => [e.layer, e]));
  for (const l of topology.config.layers) if (byConv.has(l.name)) l.config['use_bias'] = true;
  const folded = await tfl.models.modelFromJSON({ modelTopology: topology } as unknown as Parameters<typeof tfl.models.modelFromJSON>[0]);
  for (const layer of folded.layers) {
    if (layer.weights.length === 0) continue;
    const entry = byConv.get(layer.name);
    const source = model.getLayer(layer.name);
    if (entry === undefined) {
      layer.setWeights(source.getWeights());
      continue;
    }
    const bn = model.getLayer(entry.batchNorm);
    const [gamma, beta, movingMean, movingVariance] = bn.getWeights();
    const epsilon = (bn.getConfig() as { epsilon: number }).epsilon;
    const [kernel, bias] = source.getWeights();
    if (!kernel || !gamma || !beta || !movingMean || !movingVariance) throw new BatchNormFoldError(entry.layer, entry.batchNorm, 'missing kernel or BatchNormalization weights');
    const channels = gamma.shape[0]!;
    const outAxes = entry.className === 'DepthwiseConv2D' ? kernel.shape.slice(-2) : kernel.shape.slice(-1);
    if (outAxes.reduce((a, b) => a * b, 1) !== channels) throw new BatchNormFoldError(entry.layer, entry.batchNorm, `the convolution has ${outAxes.join('x')} output channels, the BatchNormalization ${channels}`);
    const next = tf.tidy(() => {
      const s = tf.div(gamma, tf.sqrt(tf.add(movingVariance, epsilon)));
      const b = tf.add(tf.mul(tf.sub(bias ?? tf.zeros([channels]), movingMean), s), beta);
      return [tf.mul(kernel, tf.reshape(s, outAxes)), b];
    });
    layer.setWeights(next);
    tf.dispose(next);
  }
  return folded;
}
