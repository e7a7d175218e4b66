import { isTextGraph, type ModelProto, runtimeInputs, shapeOf, textFeeds, textInputs } from '@shrinkray/onnx-io';
import { adaptInput, type Dataset, type DeclaredShape, Tensor } from '@shrinkray/tensor-core';
import * as ort from 'onnxruntime-node';
import { CalibrationDataError } from './errors/calibration-data-error.js';

/** How examples of a Dataset become ORT feeds of a model. */
export interface ModelFeeder {
  /** `float`: one float input fed the examples (reshaped to its layout); `text`: token ids feeding `input_ids` (+ mask, segment ids). */
  readonly kind: 'float' | 'text';
  /** The first runtime input's name and declared shape (batch first, `null` where free). */
  readonly input: { name: string; shape: DeclaredShape };
  /** A batch size the graph fixes, else undefined. */
  readonly fixedBatch: number | undefined;
  /**
   * Throws `CalibrationDataError` when examples of `data` cannot feed the model, or its class count
   * differs from the model's declared output.
   */
  check(data: Dataset): void;
  /** The feeds of a batch of examples `[N, ...]`. */
  feeds(x: Tensor): Record<string, ort.Tensor>;
}

function declared(model: ModelProto, name: string): { shape: DeclaredShape; fixedBatch: number | undefined } {
  const input = runtimeInputs(model.graph).find((i) => i.name === name);
  const dims = (input ? shapeOf(input) : undefined) ?? [];
  const batch = dims[0];
  return { shape: dims.map((d, i) => (i === 0 || typeof d !== 'number' ? null : d)), fixedBatch: typeof batch === 'number' && batch > 0 ? batch : undefined };
}

function checkClasses(model: ModelProto, file: string, data: Dataset): void {
  const output = model.graph.output[0];
  const dims = output ? (shapeOf(output) ?? []) : [];
  const classes = dims[dims.length - 1];
  if (output && typeof classes === 'number' && dims.length === 2 && classes !== data.numClasses) {
    throw new CalibrationDataError({ file, node: output.name, expected: `${classes} classes`, found: `${data.numClasses} classes`, data: data.name });
  }
}

/**
 * The feeder of a graph: a text classifier (every input one of `input_ids`, `attention_mask`,
 * `token_type_ids`, integer-typed) is fed the data's token ids `[N, L]` (int32 or int64), with the attention
 * mask `ids != padId` and zero segment ids, each in its declared integer type; any other graph must
 * have one runtime input, fed float examples.
 *
 * @throws CalibrationDataError naming the file when the graph has several non-text inputs.
 */
export function modelFeeder(model: ModelProto, file: string, padId = 0): ModelFeeder {
  if (isTextGraph(model)) {
    const inputs = textInputs(model, file);
    const { shape, fixedBatch } = declared(model, 'input_ids');
    return {
      kind: 'text',
      input: { name: 'input_ids', shape },
      fixedBatch,
      check(data) {
        const length = shape[1];
        // int64 ids (a Dataset dtype to come) feed the same way: values are converted per input type
        if (!['int32', 'int64'].includes(data.dtype as string) || data.exampleShape.length !== 1 || (typeof length === 'number' && data.exampleShape[0] !== length)) {
          throw new CalibrationDataError({ file, node: 'input_ids', expected: `int32/int64 token ids [N,${length ?? 'L'}]`, found: `${data.dtype} examples of shape [${data.exampleShape.join(',')}]`, data: data.name });
        }
        checkClasses(model, file, data);
      },
      feeds(x) {
        const [rows, length] = x.shape as [number, number];
        return textFeeds(inputs, x.data as ArrayLike<number | bigint>, rows, length, padId);
      },
    };
  }
  const all = runtimeInputs(model.graph);
  const first = all[0];
  if (all.length !== 1 || !first) {
    throw new CalibrationDataError({ file, node: all.map((i) => i.name).join(', ') || '(none)', expected: 'one runtime input (or the text inputs input_ids, attention_mask, token_type_ids)', found: `${all.length}`, data: '' });
  }
  const { shape, fixedBatch } = declared(model, first.name);
  return {
    kind: 'float',
    input: { name: first.name, shape },
    fixedBatch,
    check(data) {
      const probe = Tensor.zeros('float32', [1, ...data.exampleShape]);
      try {
        adaptInput(probe, shape, first.name);
      } catch {
        throw new CalibrationDataError({ file, node: first.name, expected: `[${shape.map((d) => d ?? 'N').join(',')}]`, found: `examples of shape [${data.exampleShape.join(',')}]`, data: data.name });
      }
      checkClasses(model, file, data);
    },
    feeds(x) {
      const adapted = adaptInput(x as Tensor<'float32'>, shape, first.name);
      return { [first.name]: new ort.Tensor('float32', adapted.data as Float32Array, [...adapted.shape]) };
    },
  };
}
