import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { shrinkray, tempDir } from './helpers.js';

// Real PyTorch exports (torch.onnx.export, NCHW [N,1,28,28], Conv/MaxPool/BatchNorm/Gemm/Softmax).
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/onnx-io/fixtures');
const torchCnn = path.join(fixtures, 'torch-cnn.onnx');
const torchMlp = path.join(fixtures, 'torch-mlp.onnx');

function json<T>(args: string[]): T {
  const run = shrinkray([...args, '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

interface Eval {
  accuracy: number;
  nll: number;
  ece: number;
  samples: number;
}

describe('ONNX commands on PyTorch exports', () => {
  it('inspect counts the parameters of torch-cnn.onnx as computed by hand', () => {
    const r = json<{ params: number; ops: Record<string, number>; inputs: { shape: unknown[] }[]; outputs: unknown[]; sparsity: number; bytes: number }>(['inspect', torchCnn]);
    // conv1 1·6·9+6 = 60; bn 4·6 = 24; conv2 6·12·9+12 = 660; fc1 432·24+24 = 10392; fc2 24·10+10 = 250.
    expect(r.params).toBe(60 + 24 + 660 + 10392 + 250);
    expect(r.ops).toMatchObject({ Conv: 2, MaxPool: 2, Gemm: 2, BatchNormalization: 1, Flatten: 1, Softmax: 1 });
    expect(r.inputs[0]!.shape).toEqual(['batch', 1, 28, 28]);
    expect(r.sparsity).toBe(0);
    expect(r.bytes).toBe(47369);
  });

  it('import -> tfjs gives the same evaluation as ONNX Runtime on the original file; export round-trips', () => {
    const dir = tempDir();
    const imported = json<{ files: string[] }>(['import', torchCnn, '-o', path.join(dir, 'cnn')]);
    expect(imported.files.map((f) => path.basename(f)).sort()).toEqual(['model.json', 'weights.bin']);
    const ort = json<Eval>(['eval', torchCnn, '--data', 'mnist']);
    const tfjs = json<Eval>(['eval', path.join(dir, 'cnn', 'model.json'), '--data', 'mnist']);
    expect(ort.samples).toBe(2000);
    expect(tfjs.accuracy).toBe(ort.accuracy);
    expect(Math.abs(tfjs.nll - ort.nll)).toBeLessThan(1e-4);
    const exported = json<{ files: string[] }>(['export', path.join(dir, 'cnn', 'model.json'), '-o', path.join(dir, 'cnn.onnx')]);
    expect(exported.files).toEqual([path.join(dir, 'cnn.onnx')]);
    const again = json<Eval>(['eval', path.join(dir, 'cnn.onnx'), '--data', 'mnist']);
    expect(again.accuracy).toBe(ort.accuracy);
    expect(Math.abs(again.nll - ort.nll)).toBeLessThan(1e-4);
    const inspected = json<{ params: number }>(['inspect', path.join(dir, 'cnn.onnx')]);
    expect(inspected.params).toBe(11386);
  });

  it('bench runs models side by side at each batch size', () => {
    const r = json<{ results: { model: string; batch: number; samplesPerSecond: number; p50Ms: number; p99Ms: number; session: string }[] }>(['bench', torchCnn, torchMlp, '--batch', '1,8', '--iterations', '3']);
    expect(r.results.map((x) => [path.basename(x.model), x.batch])).toEqual([
      ['torch-cnn.onnx', 1],
      ['torch-cnn.onnx', 8],
      ['torch-mlp.onnx', 1],
      ['torch-mlp.onnx', 8],
    ]);
    for (const x of r.results) {
      expect(x.samplesPerSecond).toBeGreaterThan(0);
      expect(x.p99Ms).toBeGreaterThanOrEqual(x.p50Ms);
      expect(x.session).toBe('in-thread');
    }
  });

  it('bench --low-latency runs the native session directly and says so', () => {
    const r = json<{ results: { model: string; batch: number; samplesPerSecond: number; session: string }[] }>(['bench', torchMlp, '--batch', '1', '--iterations', '3', '--low-latency']);
    expect(r.results).toHaveLength(1);
    expect(r.results[0]?.session).toBe('direct');
    expect(r.results[0]?.samplesPerSecond).toBeGreaterThan(0);
  });

  it('a corrupt ONNX file: one line, non-zero exit, nothing written', () => {
    const dir = tempDir();
    const corrupt = path.join(dir, 'corrupt.onnx');
    writeFileSync(corrupt, Buffer.from('this is not a protobuf model at all'));
    for (const args of [['eval', corrupt, '--data', 'mnist'], ['import', corrupt, '-o', path.join(dir, 'out')], ['inspect', corrupt]]) {
      const run = shrinkray(args);
      expect(run.code).not.toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain('corrupt.onnx');
    }
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
    expect(readdirSync(dir)).toEqual(['corrupt.onnx']);
  });
});
