import { Tensor } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { attr } from './attributes.js';
import { GraphBuilder } from './builder.js';
import { encodeOnnx } from './io.js';
import { OnnxModel } from './onnx-model.js';
import { declaredOutputKind, OUTPUT_KIND_METADATA_KEY } from './output-kind.js';
import { OnnxTextModel } from './text-model.js';
import { DataType, type ModelProto } from './types.js';

/** `p = softmax(float(input_ids))` over 2 tokens: an integer-input graph whose output is probabilities. */
function softmaxOfIds(kind?: string): ModelProto {
  const b = new GraphBuilder('ids_softmax');
  b.input('input_ids', 'int32', ['N', 2]);
  b.node('Cast', ['input_ids'], ['f'], [attr.int('to', DataType.FLOAT)]);
  b.node('Softmax', ['f'], ['p'], [attr.int('axis', 1)]);
  b.output('p', 'float32', ['N', 2]);
  const model = b.build({ opset: 13 });
  return kind === undefined ? model : { ...model, metadataProps: [{ key: OUTPUT_KIND_METADATA_KEY, value: kind }] };
}

describe('shrinkray.output_kind metadata', () => {
  it('OnnxTextModel reads a model declaring probabilities as log p (hand-computed), and as logits without it', async () => {
    const ids = new Tensor('int32', [2, 2], Int32Array.of(1, 3, 0, 0));
    // softmax([1, 3]) = [1, e²] / (1 + e²); softmax([0, 0]) = [½, ½].
    const p1 = [1 / (1 + Math.exp(2)), Math.exp(2) / (1 + Math.exp(2))];
    const declared = await OnnxTextModel.create(encodeOnnx(softmaxOfIds('probabilities')));
    expect(declared.outputKind).toBe('probabilities');
    const logits = await declared.predict(ids);
    for (const [i, v] of [Math.log(p1[0]!), Math.log(p1[1]!), Math.log(0.5), Math.log(0.5)].entries()) expect(logits.data[i]).toBeCloseTo(v, 6);
    const plain = await OnnxTextModel.create(encodeOnnx(softmaxOfIds()));
    expect(plain.outputKind).toBe('logits');
    expect((await plain.predict(ids)).data[1]).toBeCloseTo(p1[1]!, 6);
    const forced = await OnnxTextModel.create(encodeOnnx(softmaxOfIds('probabilities')), { outputKind: 'logits' });
    expect(forced.outputKind).toBe('logits');
    await Promise.all([declared.dispose(), plain.dispose(), forced.dispose()]);
  });

  it('OnnxModel follows the metadata before looking for a final Softmax; unknown values are ignored', async () => {
    const b = new GraphBuilder('identity');
    b.input('x', 'float32', ['N', 2]);
    b.node('Identity', ['x'], ['y']);
    b.output('y', 'float32', ['N', 2]);
    const base = b.build({ opset: 13 });
    const model = await OnnxModel.create(encodeOnnx({ ...base, metadataProps: [{ key: OUTPUT_KIND_METADATA_KEY, value: 'probabilities' }] }));
    expect(model.outputKind).toBe('probabilities');
    const y = await model.predict(new Tensor('float32', [1, 2], Float32Array.of(0.25, 0.75)));
    expect(y.data[0]).toBeCloseTo(Math.log(0.25), 6);
    expect(declaredOutputKind({ ...base, metadataProps: [{ key: OUTPUT_KIND_METADATA_KEY, value: 'scores' }] })).toBeUndefined();
    expect(declaredOutputKind(base)).toBeUndefined();
    await model.dispose();
  });
});
