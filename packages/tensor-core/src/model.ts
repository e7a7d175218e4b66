import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DTypeError } from './errors/dtype-error.js';
import { ShapeMismatchError } from './errors/shape-mismatch-error.js';
import { adaptInput, type DeclaredShape } from './layout.js';
import { MIN_PROBABILITY } from './numerics.js';
import type { ExampleDType } from './data/source.js';
import { formatShape, Tensor } from './tensor.js';

/**
 * The one model interface of shrinkray: a teacher, a pruning target and an ensemble member are all
 * this. `predict` maps a float32 batch (NHWC images or flat vectors; adapted to `inputShape`) to
 * logits `[N, numClasses]`.
 */
export interface Model {
  /** A name for messages and reports (file name, member name). */
  readonly name: string;
  /** Declared input shape, batch first (`null` where free), e.g. `[null, 28, 28, 1]`. */
  readonly inputShape: DeclaredShape;
  readonly numClasses: number;
  /**
   * What `predict` takes: `'float32'` features/pixels or `'int32'` token ids. Optional for models
   * written outside shrinkray; when set, `checkModelFitsData` refuses data of the other kind up front.
   */
  readonly inputDType?: ExampleDType;
  /** Float32 features/pixels, or int32 token ids for text models. */
  predict(x: Tensor<ExampleDType>): Promise<Tensor<'float32'>>;
  dispose(): void | Promise<void>;
}

/** What a tfjs model's last layer emits. Probabilities are turned into logits as `log(p)`. */
export type OutputKind = 'logits' | 'probabilities';


/**
 * Throws `DTypeError` when integer token ids are given to a model that takes float32 features (an
 * integer `[N, L]` array is read as token ids, so a user who meant features is told how to fix it).
 * Float data given to a token-id model is left to the model (ids may be stored as floats).
 */
export function checkInputDType(model: Pick<Model, 'name' | 'inputDType'>, dtype: ExampleDType, tensor: string): void {
  if (model.inputDType !== 'float32' || dtype === 'float32') return;
  throw new DTypeError({
    tensor,
    expected: `float32 features (model ${model.name} takes features, not token ids)`,
    found: `${dtype} token ids (integer [N, L] .npy/.npz arrays are read as token ids; save them as float32 to use them as features)`,
  });
}

function lastActivation(model: tfl.LayersModel): string | undefined {
  const last = model.layers[model.layers.length - 1];
  const config = last?.getConfig() as { activation?: unknown } | undefined;
  return typeof config?.activation === 'string' ? config.activation : undefined;
}

/**
 * A tfjs LayersModel behind the `Model` interface. Its trainable weights stay reachable through
 * `layersModel`. A model ending in softmax is read as emitting probabilities, and `predict` returns
 * `log(p)`: logits up to a per-row constant, which softmax maps back to p.
 *
 * @example
 * const model = new TfjsModel(tf.sequential({ layers: [...] }), 'teacher');
 * const logits = await model.predict(x);
 */
export class TfjsModel implements Model {
  readonly name: string;
  readonly layersModel: tfl.LayersModel;
  readonly inputShape: DeclaredShape;
  readonly numClasses: number;
  readonly inputDType: ExampleDType;
  readonly outputKind: OutputKind;
  /** Rows per predict call inside tfjs (bounds memory on large inputs). */
  batchSize = 1024;

  constructor(layersModel: tfl.LayersModel, name = layersModel.name) {
    this.layersModel = layersModel;
    this.name = name;
    const input = layersModel.inputs[0];
    const output = layersModel.outputs[0];
    if (!input || !output || layersModel.inputs.length !== 1 || layersModel.outputs.length !== 1) {
      throw new ShapeMismatchError({ tensor: `model ${name}`, expected: 'one input and one output', found: `${layersModel.inputs.length} inputs, ${layersModel.outputs.length} outputs` });
    }
    this.inputShape = input.shape;
    this.inputDType = input.dtype === 'int32' ? 'int32' : 'float32';
    const classes = output.shape[output.shape.length - 1];
    if (output.shape.length !== 2 || typeof classes !== 'number') {
      throw new ShapeMismatchError({ tensor: `model ${name} output`, expected: '[N, classes]', found: formatShape(output.shape) });
    }
    this.numClasses = classes;
    this.outputKind = lastActivation(layersModel) === 'softmax' ? 'probabilities' : 'logits';
  }

  /** Runs the model on a float32 tensor and keeps the result in tfjs (caller disposes). */
  predictTfjs(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      const y = this.layersModel.predict(x, { batchSize: this.batchSize }) as tf.Tensor2D;
      return this.outputKind === 'probabilities' ? (tf.log(tf.maximum(y, MIN_PROBABILITY)) as tf.Tensor2D) : y;
    });
  }

  async predict(x: Tensor<ExampleDType>): Promise<Tensor<'float32'>> {
    checkInputDType(this, x.dtype, `${this.name} input`);
    const adapted = x.dtype === 'float32' ? adaptInput(x as Tensor<'float32'>, this.inputShape, `${this.name} input`) : x;
    const input = adapted.toTfjs();
    try {
      const y = this.predictTfjs(input);
      try {
        return new Tensor('float32', [...y.shape], (await y.data()) as Float32Array);
      } finally {
        y.dispose();
      }
    } finally {
      input.dispose();
    }
  }

  dispose(): void {
    this.layersModel.dispose();
  }
}
