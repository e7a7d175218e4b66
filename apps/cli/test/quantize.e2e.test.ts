import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OnnxModel } from '@shrinkray/onnx-io';
import { Tensor } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { shrinkray, tempDir } from './helpers.js';

const torchCnn = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/onnx-io/fixtures/torch-cnn.onnx');
const fashion = '/usr/share/datasets/fashion-mnist';

interface QuantizeJson {
  mode: string;
  calibration: string | null;
  before: { accuracy: number; bytes: number; gzipBytes: number };
  after: { accuracy: number; bytes: number; gzipBytes: number };
  quantized: { node: string; opType: string; how: string }[];
  skipped: { node: string; opType: string; reason: string }[];
  fused: { ops: Record<string, number>; int8Nodes: { node: string; opType: string }[] };
  files: string[];
}

function checkOnnx(file: string): string {
  return execFileSync('/usr/bin/python3', ['-c', 'import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print("ok")', file], { encoding: 'utf8' }).trim();
}

describe('shrinkray quantize', () => {
  it('static int8 of a PyTorch CNN on Fashion-MNIST: --json keys, a checker-valid file that ORT runs', async () => {
    const out = path.join(tempDir('shrinkray-quantize-'), 'cnn.int8.onnx');
    const run = shrinkray(['quantize', torchCnn, '--data', `fashion-mnist:${fashion}`, '--calibration', 'entropy', '--calibration-samples', '128', '--no-throughput', '--json', '-o', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as QuantizeJson;
    expect(r.files).toEqual([out]);
    expect(r.mode).toBe('static');
    expect(r.calibration).toBe('entropy');
    expect(r.before.bytes).toBe(readFileSync(torchCnn).length);
    expect(r.after.bytes).toBe(readFileSync(out).length);
    expect(typeof r.before.accuracy).toBe('number');
    expect(Math.abs(r.after.accuracy - r.before.accuracy)).toBeLessThan(0.05);
    expect(r.quantized.some((q) => q.opType === 'Conv')).toBe(true);
    expect(r.fused.int8Nodes.some((n) => n.opType === 'QLinearConv')).toBe(true);
    for (const s of r.skipped) expect(s.reason.length).toBeGreaterThan(0);
    expect(checkOnnx(out)).toBe('ok');
    const model = await OnnxModel.create(out);
    const y = await model.run(Tensor.zeros('float32', [2, 1, 28, 28]));
    await model.dispose();
    expect(y.shape).toEqual([2, 10]);
  });

  it('fp16: about half the size; bad input is a one-line error and nothing is written', () => {
    const dir = tempDir('shrinkray-quantize-');
    const out = path.join(dir, 'cnn.fp16.onnx');
    const run = shrinkray(['quantize', torchCnn, '--mode', 'fp16', '--no-throughput', '--json', '-o', out]);
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as QuantizeJson;
    expect(r.after.bytes / r.before.bytes).toBeLessThan(0.6);
    expect(checkOnnx(out)).toBe('ok');
    const bad = path.join(dir, 'never.onnx');
    const wrong = shrinkray(['quantize', torchCnn, '--data', `fashion-mnist:${fashion}`, '--mode', 'static', '--exclude', 'NoSuchNode', '-o', bad]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^shrinkray: error: .*has no node or op type "NoSuchNode"\n$/);
    expect(existsSync(bad)).toBe(false);
    const usage = shrinkray(['quantize', torchCnn, '--mode', 'int4', '-o', bad]);
    expect(usage.code).toBe(2);
  });
});
