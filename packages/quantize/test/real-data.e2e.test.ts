import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openData } from '@shrinkray/datasets';
import { encodeOnnx, loadOnnx, OnnxModel } from '@shrinkray/onnx-io';
import type { Dataset, Tensor } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { quantize } from '../src/quantize.js';
import { checkOnnx } from '../src/testing.test.util.js';

// PyTorch-exported models (onnx-io's fixtures) on Debian's Fashion-MNIST test images.
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../onnx-io/fixtures');
let test: Dataset;

async function logits(bytes: Uint8Array, data: Dataset): Promise<Tensor<'float32'>> {
  const m = await OnnxModel.create(bytes, { intraOpNumThreads: 1 });
  try {
    return await m.run((await data.read(Int32Array.from({ length: data.size }, (_, i) => i))) as Tensor<'float32'>);
  } finally {
    await m.dispose();
  }
}

function argmaxAgreement(a: Tensor<'float32'>, b: Tensor<'float32'>): number {
  const c = a.shape[1]!;
  let same = 0;
  for (let r = 0; r < a.shape[0]!; r++) {
    let ia = 0;
    let ib = 0;
    for (let k = 1; k < c; k++) {
      if (a.data[r * c + k]! > a.data[r * c + ia]!) ia = k;
      if (b.data[r * c + k]! > b.data[r * c + ib]!) ib = k;
    }
    if (ia === ib) same++;
  }
  return same / a.shape[0]!;
}

beforeAll(async () => {
  const splits = await openData('fashion-mnist:/usr/share/datasets/fashion-mnist', { inputShape: [null, 1, 28, 28] });
  test = splits.test.subset(Int32Array.from({ length: 1000 }, (_, i) => i));
});

describe('quantize on real data (Fashion-MNIST, PyTorch exports)', () => {
  for (const name of ['torch-cnn', 'torch-mlp', 'torch-mixed']) {
    it(`${name}: fp16 logits within 1% of fp32's scale, same predictions on >= 99.5% of 1000 images`, async () => {
      const float = encodeOnnx(await loadOnnx(path.join(fixtures, `${name}.onnx`)));
      const { bytes, report } = await quantize({ model: float, mode: 'fp16', throughput: false, fused: false });
      expect(report.bytes.after.bytes / report.bytes.before.bytes).toBeLessThan(0.6);
      expect(checkOnnx([bytes])).toMatch(/^ok/);
      const a = await logits(float, test);
      const b = await logits(bytes, test);
      let scale = 0;
      let err = 0;
      for (let i = 0; i < a.size; i++) {
        scale = Math.max(scale, Math.abs(a.data[i]!));
        err = Math.max(err, Math.abs(a.data[i]! - b.data[i]!));
      }
      expect(err).toBeLessThan(0.01 * scale);
      expect(argmaxAgreement(a, b)).toBeGreaterThanOrEqual(0.995);
    });
  }

  it('torch-cnn static int8: ORT fuses the convs, predictions agree with float on >= 97% of images', async () => {
    const float = encodeOnnx(await loadOnnx(path.join(fixtures, 'torch-cnn.onnx')));
    const { bytes, report } = await quantize({ model: float, data: test, mode: 'static', calibration: 'percentile', calibrationSamples: 256, throughput: false, evaluate: false });
    expect(report.fused?.int8Nodes.filter((n) => n.opType === 'QLinearConv').length).toBeGreaterThan(0);
    expect(checkOnnx([bytes])).toMatch(/^ok/);
    expect(argmaxAgreement(await logits(float, test), await logits(bytes, test))).toBeGreaterThanOrEqual(0.97);
  });
});
