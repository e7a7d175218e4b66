import { attr, decodeOnnx, encodeOnnx, GraphBuilder, OnnxFormatError, OnnxModel } from '@shrinkray/onnx-io';
import { Dataset, Rng, Tensor } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { CalibrationDataError } from './errors/calibration-data-error.js';
import { OpsetTooOldError } from './errors/opset-too-old-error.js';
import { quantize } from './quantize.js';
import { checkOnnx, smallCnn, smallImages } from './testing.test.util.js';

async function run(bytes: Uint8Array, x: Tensor<'float32'>): Promise<Float32Array> {
  const m = await OnnxModel.create(bytes, { intraOpNumThreads: 1 });
  try {
    return (await m.run(x)).data as Float32Array;
  } finally {
    await m.dispose();
  }
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

const fast = { throughput: false as const, fused: true };

describe('quantize (static QDQ)', () => {
  it('quantizes every node of a small CNN, ORT fuses them into int8 kernels, outputs stay close to float', async () => {
    const model = smallCnn(1);
    const data = smallImages(96, 2);
    const { bytes, report } = await quantize({ model, data, mode: 'static', ...fast });
    expect(report.quantized.map((q) => q.node)).toEqual(['conv1', 'relu1', 'pool1', 'conv2', 'add', 'relu2', 'gap', 'flatten', 'fc']);
    expect(report.skipped).toEqual([]);
    const types = decodeOnnx(bytes).graph.node.map((n) => n.opType);
    expect(types.filter((t) => t === 'Relu')).toEqual([]); // folded into the producers' ranges
    expect(report.fused?.ops['com.microsoft.QLinearConv']).toBe(2);
    expect(report.fused?.ops['com.microsoft.QLinearAdd']).toBe(1);
    expect(report.fused?.ops['com.microsoft.QGemm']).toBe(1);
    expect(report.fused?.ops['com.microsoft.NhwcMaxPool']).toBe(1);
    expect(report.fused?.ops['com.microsoft.QLinearGlobalAveragePool']).toBe(1);
    expect(report.fused?.qdqLeft).toBe(1); // the input's QuantizeLinear
    expect(checkOnnx([bytes])).toMatch(/^ok/);
    const x = await data.read(Int32Array.from({ length: 32 }, (_, i) => i));
    const float = await run(encodeOnnx(model), x);
    const int8 = await run(bytes, x);
    const err = maxAbs(float.map((v, i) => v - int8[i]!));
    expect(err).toBeLessThan(0.05 * maxAbs(float));
    expect(report.accuracy).not.toBeNull();
    expect(report.bytes.after.bytes).toBe(bytes.length); // a model this small grows: Q/DQ parameters outweigh its 200 weights
  });

  it('per-tensor weights, percentile and entropy calibration all give valid models', async () => {
    const model = smallCnn(3);
    const data = smallImages(64, 4);
    for (const calibration of ['percentile', 'entropy']) {
      const { bytes, report } = await quantize({ model, data, mode: 'static', calibration, perChannel: false, ...fast, fused: false });
      expect(report.calibration).toBe(calibration);
      expect(report.perChannel).toBe(false);
      expect(checkOnnx([bytes])).toMatch(/^ok/);
    }
  });

  it('excluded nodes and op types stay float and are listed', async () => {
    const { report } = await quantize({ model: smallCnn(1), data: smallImages(32, 2), mode: 'static', exclude: ['conv2', 'Gemm'], ...fast, fused: false });
    expect(report.skipped.filter((s) => s.reason === 'excluded').map((s) => s.node)).toEqual(['conv2', 'fc']);
    expect(report.quantized.map((q) => q.node)).not.toContain('conv2');
  });

  it('leaves ops without int8 kernels float and lists why', async () => {
    const b = new GraphBuilder('g');
    b.input('x', 'float32', ['N', 4]);
    b.initializer('w', Float32Array.from({ length: 12 }, (_, i) => (i - 6) / 10), [4, 3]);
    b.node('MatMul', ['x', 'w'], ['h'], [], 'mm');
    b.node('Sigmoid', ['h'], ['s'], [], 'sig');
    b.node('Softmax', ['s'], ['y'], [attr.int('axis', -1)], 'softmax');
    b.output('y', 'float32', ['N', 3]);
    const rng = new Rng(0);
    const data = Dataset.fromArrays(new Tensor('float32', [16, 4], Float32Array.from({ length: 64 }, () => rng.normal())), Int32Array.from({ length: 16 }, (_, i) => i % 3));
    const { bytes, report } = await quantize({ model: b.build(), data, mode: 'static', ...fast, fused: false });
    expect(report.quantized.map((q) => q.node)).toEqual(['mm']);
    expect(report.skipped.map((s) => [s.node, s.reason])).toEqual([
      ['sig', 'no int8 kernel for Sigmoid in ONNX Runtime; runs in float32'],
      ['softmax', 'no int8 kernel for Softmax in ONNX Runtime; runs in float32'],
    ]);
    expect(checkOnnx([bytes])).toMatch(/^ok/);
  });
});

describe('quantize (dynamic and fp16)', () => {
  it('dynamic: MatMul/Gemm become DynamicQuantizeMatMul in ORT, outputs close to float', async () => {
    const model = smallCnn(5);
    const data = smallImages(32, 6);
    const { bytes, report } = await quantize({ model, data, mode: 'dynamic', ...fast });
    expect(report.quantized.map((q) => q.node)).toEqual(['fc']);
    expect(report.skipped.find((s) => s.node === 'conv1')?.reason).toMatch(/MatMul and Gemm only/);
    expect(report.fused?.ops['com.microsoft.DynamicQuantizeMatMul']).toBe(1);
    expect(checkOnnx([bytes])).toMatch(/^ok/);
    const x = await data.read(Int32Array.from({ length: 16 }, (_, i) => i));
    const float = await run(encodeOnnx(model), x);
    const int8 = await run(bytes, x);
    expect(maxAbs(float.map((v, i) => v - int8[i]!))).toBeLessThan(0.05 * maxAbs(float));
  });

  it('fp16: float16 initializers, float32 interface, clamps and counts values beyond 65504', async () => {
    const b = new GraphBuilder('g');
    b.input('x', 'float32', ['N', 2]);
    b.initializer('w', Float32Array.of(1, 2, 3e5, -1e6), [2, 2]);
    b.node('MatMul', ['x', 'w'], ['y'], [], 'mm');
    b.output('y', 'float32', ['N', 2]);
    const { bytes, report, model } = await quantize({ model: b.build(), mode: 'fp16', ...fast, fused: false });
    expect(report.clamped).toBe(2);
    expect(model.graph.initializer.map((t) => t.dataType)).toEqual([10]);
    expect(model.graph.input[0]?.type?.tensorType?.elemType).toBe(1);
    expect(model.graph.output[0]?.type?.tensorType?.elemType).toBe(1);
    expect(checkOnnx([bytes])).toMatch(/^ok/);
    const y = await run(bytes, new Tensor('float32', [1, 2], Float32Array.of(1, 0.5)));
    // [1, 0.5] x [[1, 2], [65504, -65504]] = [1 + 32752, 2 - 32752]
    expect(Array.from(y)).toEqual([32753, -32750]);
  });
});

describe('quantize (fp16 with excluded nodes)', () => {
  it('an excluded node runs in float32 between Casts; integer values (Shape) pass uncast', async () => {
    const b = new GraphBuilder('g');
    b.input('x', 'float32', ['N', 3]);
    b.initializer('w', Float32Array.of(0.5, -1, 2, 1, 0.25, -0.5, 3, 1, 1), [3, 3]);
    b.node('MatMul', ['x', 'w'], ['h'], [], 'mm');
    b.node('Shape', ['h'], ['shape'], [], 'shape');
    b.node('Reshape', ['h', 'shape'], ['r'], [], 'reshape');
    b.node('Softmax', ['r'], ['y'], [attr.int('axis', -1)], 'softmax');
    b.output('y', 'float32', ['N', 3]);
    const model = b.build();
    const { bytes, report } = await quantize({ model, mode: 'fp16', exclude: ['reshape', 'Softmax'], throughput: false, fused: false });
    expect(report.skipped.map((s) => s.node)).toEqual(['reshape', 'softmax']);
    expect(checkOnnx([bytes])).toMatch(/^ok/);
    const x = new Tensor('float32', [2, 3], Float32Array.of(1, 2, 3, -1, 0.5, 0));
    const float = await run(encodeOnnx(model), x);
    const half = await run(bytes, x);
    for (let i = 0; i < float.length; i++) expect(half[i]!).toBeCloseTo(float[i]!, 3);
  });
});

describe('quantize: bad input fails before any work, naming file and node', () => {
  it('a graph ORT cannot load', async () => {
    const b = new GraphBuilder('g');
    b.input('x', 'float32', ['N', 2]);
    b.node('NoSuchOp', ['x'], ['y'], [], 'weird');
    b.output('y', 'float32', ['N', 2]);
    await expect(quantize({ model: encodeOnnx(b.build()), file: 'bad.onnx', mode: 'dynamic' })).rejects.toSatisfy(
      (e: unknown) => OnnxFormatError.isInstance(e) && /bad\.onnx.*onnxruntime cannot load/.test((e as Error).message),
    );
  });

  it('an opset too old for QDQ, with an op that changed meaning: typed error naming file and node', async () => {
    const b = new GraphBuilder('g');
    b.input('x', 'float32', ['N', 3]);
    b.node('Softmax', ['x'], ['y'], [], 'probs');
    b.output('y', 'float32', ['N', 3]);
    const data = Dataset.fromArrays(new Tensor('float32', [3, 3], new Float32Array(9)), Int32Array.of(0, 1, 2));
    const error = await quantize({ model: b.build({ opset: 11 }), file: 'old.onnx', data, mode: 'static' }).catch((e: unknown) => e);
    expect(OpsetTooOldError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/old\.onnx: opset 11 .*13.*node probs \(Softmax\)/);
  });

  it('an old opset whose ops kept their meaning is upgraded to 13', async () => {
    const { report, model } = await quantize({ model: smallCnn(1, 12), data: smallImages(16, 1), mode: 'static', ...fast, fused: false, evaluate: false });
    expect(report.opsetUpgradedFrom).toBe(12);
    expect(model.opsetImport[0]?.version).toBe(13);
  });

  it('calibration data of the wrong shape or class count', async () => {
    const wrongShape = Dataset.fromArrays(new Tensor('float32', [4, 5, 5, 1], new Float32Array(100)), Int32Array.of(0, 1, 2, 0));
    await expect(quantize({ model: smallCnn(1), file: 'cnn.onnx', data: wrongShape, mode: 'static' })).rejects.toSatisfy(
      (e: unknown) => CalibrationDataError.isInstance(e) && /cnn\.onnx node 'input'/.test((e as Error).message),
    );
    const wrongClasses = Dataset.fromArrays(new Tensor('float32', [4, 8, 8, 1], new Float32Array(256)), Int32Array.of(0, 1, 2, 3));
    await expect(quantize({ model: smallCnn(1), file: 'cnn.onnx', data: wrongClasses, mode: 'static' })).rejects.toSatisfy(
      (e: unknown) => CalibrationDataError.isInstance(e) && /cnn\.onnx node 'logits'.*3 classes.*4 classes/.test((e as Error).message),
    );
  });
});
