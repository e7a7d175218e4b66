import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Config of {@link MaskedMeanPooling1D}. */
export interface MaskedMeanPooling1DArgs {
  /** The token id that marks padding (excluded from the mean). */
  padId: number;
  name?: string;
  trainable?: boolean;
}

/**
 * Mean of a sequence of vectors over the positions that are not padding: takes
 * `[embeddings [N, L, E], tokenIds [N, L]]` and returns `[N, E]` with
 * `sum_t e[t]·m[t] / max(1, sum_t m[t])`, `m[t] = ids[t] != padId`. This is the pooling of
 * fastText-style bag-of-embeddings text classifiers; the attention mask is derived from the ids.
 *
 * Registered with tfjs serialization, so models using it save and load as any other.
 */
export class MaskedMeanPooling1D extends tfl.layers.Layer {
  static readonly className = 'MaskedMeanPooling1D';
  readonly padId: number;

  constructor(args: MaskedMeanPooling1DArgs) {
    super(args);
    if (!Number.isInteger(args.padId)) throw new Error(`MaskedMeanPooling1D: padId must be an integer, got ${args.padId}`);
    this.padId = args.padId;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shapes = inputShape as tfl.Shape[];
    const emb = shapes[0]!;
    return [emb[0]!, emb[2]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [emb, ids] = inputs as tf.Tensor[];
      const mask = tf.cast(tf.notEqual(ids!, tf.scalar(this.padId, ids!.dtype)), 'float32');
      const sum = tf.sum(tf.mul(emb!, tf.expandDims(mask, -1)), 1);
      const count = tf.maximum(tf.sum(mask, 1, true), tf.scalar(1));
      return tf.div(sum, count);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padId: this.padId };
  }
}

tf.serialization.registerClass(MaskedMeanPooling1D);
