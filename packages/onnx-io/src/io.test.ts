import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOnnx } from './onnx-checker.test.util.js';
import { attr } from './attributes.js';
import { GraphBuilder } from './builder.js';
import { OnnxFormatError } from './errors/onnx-format-error.js';
import { OnnxTensorSizeError } from './errors/onnx-tensor-size-error.js';
import { decodeOnnx, encodeOnnx, loadOnnx, saveOnnx } from './io.js';
import { modelProtoType } from './proto.js';
import { floatsFromProto, intsFromProto } from './tensor-proto.js';

const dir = await mkdtemp(path.join(tmpdir(), 'onnx-io-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

function gemmModel() {
  const b = new GraphBuilder('tiny');
  b.input('x', 'float32', [null, 2]);
  b.initializer('W', new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  b.initializer('B', new Float32Array([0.5, -0.5, 1]), [3]);
  b.initializer('shape', new BigInt64Array([-1n, 3n]), [2]);
  b.node('Gemm', ['x', 'W', 'B'], ['g'], [attr.float('alpha', 1), attr.int('transB', 0)]);
  b.node('Reshape', ['g', 'shape'], ['y']);
  b.output('y', 'float32', [null, 3]);
  return b.build();
}

describe('loadOnnx / saveOnnx', () => {
  it('round-trips a model through bytes, keeping tensors, attributes and shapes', () => {
    const model = gemmModel();
    const back = decodeOnnx(encodeOnnx(model));
    expect(back.irVersion).toBe(8);
    expect(back.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(back.graph.node.map((n) => n.opType)).toEqual(['Gemm', 'Reshape']);
    expect(Array.from(floatsFromProto(back.graph.initializer[0]!))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(intsFromProto(back.graph.initializer[2]!)).toEqual([-1, 3]);
    const alpha = back.graph.node[0]!.attribute!.find((a) => a.name === 'alpha');
    expect(alpha?.f).toBe(1);
    expect(back.graph.input[0]!.type?.tensorType?.shape?.dim?.[1]?.dimValue).toBe(2);
  });

  it('writes atomically and reads back from a path; the reference checker accepts the file', async () => {
    const file = path.join(dir, 'tiny.onnx');
    const bytes = await saveOnnx(gemmModel(), file);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(new Uint8Array(await readFile(file))).toEqual(bytes);
    const model = await loadOnnx(file);
    expect(model.graph.output[0]!.name).toBe('y');
    expect(checkOnnx([bytes])).toMatch(/^ok/);
  });

  it('names the file in errors: missing, empty, not protobuf', async () => {
    await expect(loadOnnx(path.join(dir, 'nope.onnx'))).rejects.toThrow(/nope\.onnx: no such file/);
    const empty = path.join(dir, 'empty.onnx');
    await writeFile(empty, '');
    await expect(loadOnnx(empty)).rejects.toSatisfy((e: unknown) => OnnxFormatError.isInstance(e) && e.file === empty);
    const text = path.join(dir, 'text.onnx');
    await writeFile(text, 'this is not an onnx model at all, just text');
    await expect(loadOnnx(text)).rejects.toSatisfy((e: unknown) => OnnxFormatError.isInstance(e) && e.message.startsWith(text));
  });

  it('refuses a tensor claiming a huge shape before allocating it', () => {
    const model = gemmModel();
    model.graph.initializer[0]!.dims = [100000, 100000, 100000];
    const bytes = encodeOnnx(model);
    let error: unknown;
    try {
      decodeOnnx(bytes, { name: 'huge.onnx' });
    } catch (e) {
      error = e;
    }
    expect(OnnxTensorSizeError.isInstance(error)).toBe(true);
    expect(OnnxFormatError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/huge\.onnx: tensor 'W' claims shape \[100000,100000,100000\]/);
  });

  it('refuses a tensor whose data does not match its shape', () => {
    const model = gemmModel();
    model.graph.initializer[1]!.dims = [4];
    expect(() => decodeOnnx(encodeOnnx(model), { name: 'short.onnx' })).toThrow(/tensor 'B' claims shape \[4\] of FLOAT \(16 bytes\) but raw_data holds 12/);
  });

  it('refuses nodes reading undefined values and graphs without opset', () => {
    const model = gemmModel();
    model.graph.node[1]!.input[0] = 'missing';
    expect(() => decodeOnnx(encodeOnnx(model))).toThrow(/reads 'missing'/);
    const noOpset = gemmModel();
    noOpset.opsetImport = [];
    expect(() => decodeOnnx(encodeOnnx(noOpset))).toThrow(/no opset_import/);
  });

  it('parses with the official schema (ModelProto.graph is field 7)', () => {
    expect(modelProtoType().fields['graph']?.id).toBe(7);
    expect(modelProtoType().fields['opsetImport']?.id).toBe(8);
  });
});
