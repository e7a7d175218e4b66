import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../errors/config-error.js';

/** Config of {@link MultiHeadSelfAttention}. */
export interface MultiHeadSelfAttentionArgs {
  /** Number of attention heads; must divide the model width E. */
  heads: number;
  /** The token id that marks padding: keys at padded positions get no attention. */
  padId: number;
  /** Seed of the Glorot-uniform initialisers of the four projections (`seed`, `seed+1`, …). */
  seed?: number;
  name?: string;
  trainable?: boolean;
}

/** Added to the attention scores of padded keys (their softmax weight underflows to 0). */
export const ATTENTION_MASK_VALUE = -1e9;

/** The projections of {@link MultiHeadSelfAttention}, in weight order: kernel `[E, E]` then bias `[E]` of each. */
export const ATTENTION_PROJECTIONS = ['query', 'key', 'value', 'output'] as const;

/**
 * Multi-head scaled dot-product self-attention with a padding mask, for transformer text encoders:
 * takes `[x [N, L, E], tokenIds [N, L]]` and returns `[N, L, E]`:
 * `softmax(Q·Kᵀ/√d + mask)·V` per head (`d = E / heads`), heads concatenated and projected, where
 * `Q, K, V` are affine projections of `x` and `mask` is {@link ATTENTION_MASK_VALUE} on keys whose
 * id is `padId`, 0 elsewhere. Weights: `query/kernel`, `query/bias`, … `output/bias` (kernel `[E, E]`,
 * bias `[E]`, applied as `x·W + b`).
 *
 * Registered with tfjs serialization, so models using it save and load as any other. Bad heads,
 * pad id or input shape throw `ConfigError` naming the layer.
 */
export class MultiHeadSelfAttention extends tfl.layers.Layer {
  static readonly className = 'MultiHeadSelfAttention';
  readonly heads: number;
  readonly padId: number;
  readonly seed: number | undefined;
  private projections: { kernel: tfl.LayerVariable; bias: tfl.LayerVariable }[] = [];

  constructor(args: MultiHeadSelfAttentionArgs) {
    super(args);
    if (!Number.isInteger(args.heads) || args.heads < 1) throw new ConfigError('MultiHeadSelfAttention heads', `must be a positive integer, got ${args.heads}`);
    if (!Number.isInteger(args.padId)) throw new ConfigError('MultiHeadSelfAttention padId', `must be an integer, got ${args.padId}`);
    this.heads = args.heads;
    this.padId = args.padId;
    this.seed = args.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (inputShape as tfl.Shape[])[0]!;
    const width = shape[2];
    if (shape.length !== 3 || typeof width !== 'number') throw new ConfigError(`layer ${this.name}`, `needs x [N, L, E] with known E, got [${shape.join(',')}]`);
    if (width % this.heads !== 0) throw new ConfigError(`layer ${this.name}`, `width ${width} is not divisible by ${this.heads} heads`);
    this.projections = ATTENTION_PROJECTIONS.map((p, i) => ({
      kernel: this.addWeight(`${p}/kernel`, [width, width], 'float32', tfl.initializers.glorotUniform(this.seed === undefined ? {} : { seed: this.seed + i })),
      bias: this.addWeight(`${p}/bias`, [width], 'float32', tfl.initializers.zeros()),
    }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (inputShape as tfl.Shape[])[0]!;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, ids] = inputs as [tf.Tensor3D, tf.Tensor2D];
      const [n, length, width] = x.shape;
      const d = width / this.heads;
      const project = (i: number, t: tf.Tensor3D): tf.Tensor3D => {
        const { kernel, bias } = this.projections[i]!;
        const flat = tf.matMul(tf.reshape(t, [n * length, width]), kernel.read() as tf.Tensor2D);
        return tf.reshape(tf.add(flat, bias.read()), [n, length, width]);
      };
      const split = (t: tf.Tensor3D, perm: number[]) => tf.transpose(tf.reshape(t, [n, length, this.heads, d]), perm);
      const q = split(project(0, x), [0, 2, 1, 3]);
      const kT = split(project(1, x), [0, 2, 3, 1]);
      const v = split(project(2, x), [0, 2, 1, 3]);
      const pad = tf.cast(tf.equal(ids, tf.scalar(this.padId, ids.dtype)), 'float32');
      const mask = tf.reshape(tf.mul(pad, tf.scalar(ATTENTION_MASK_VALUE)), [n, 1, 1, length]);
      const scores = tf.add(tf.mul(tf.matMul(q, kT), tf.scalar(1 / Math.sqrt(d))), mask);
      const context = tf.matMul(tf.softmax(scores), v);
      const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [n, length, width]) as tf.Tensor3D;
      return project(3, merged);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, padId: this.padId, ...(this.seed === undefined ? {} : { seed: this.seed }) };
  }
}

tf.serialization.registerClass(MultiHeadSelfAttention);
