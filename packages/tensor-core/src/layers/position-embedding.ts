import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../errors/config-error.js';

/** Config of {@link PositionEmbedding}. */
export interface PositionEmbeddingArgs {
  /** Seed of the uniform(-0.05, 0.05) initialiser of the position table. */
  seed?: number;
  name?: string;
  trainable?: boolean;
}

/**
 * Learned position embeddings: adds a trainable `[L, E]` table to `[N, L, E]` token embeddings
 * (row `t` to position `t`). The sequence length is fixed by the input shape.
 *
 * Registered with tfjs serialization, so models using it save and load as any other.
 */
export class PositionEmbedding extends tfl.layers.Layer {
  static readonly className = 'PositionEmbedding';
  readonly seed: number | undefined;
  private table: tfl.LayerVariable | undefined;

  constructor(args: PositionEmbeddingArgs = {}) {
    super(args);
    this.seed = args.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = inputShape as tfl.Shape;
    const [, length, width] = shape;
    if (shape.length !== 3 || typeof length !== 'number' || typeof width !== 'number') {
      throw new ConfigError(`layer ${this.name}`, `needs input [N, L, E] with known L and E, got [${shape.join(',')}]`);
    }
    const init = tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, ...(this.seed === undefined ? {} : { seed: this.seed }) });
    this.table = this.addWeight('positions', [length, width], 'float32', init);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return inputShape as tfl.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.add(x, this.table!.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...(this.seed === undefined ? {} : { seed: this.seed }) };
  }
}

tf.serialization.registerClass(PositionEmbedding);
