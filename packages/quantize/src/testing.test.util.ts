import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { attr, GraphBuilder, type ModelProto } from '@shrinkray/onnx-io';
import { Dataset, Rng, Tensor } from '@shrinkray/tensor-core';

/** Debian's Python with python3-onnx (and numpy). */
export const python = process.env['SHRINKRAY_PYTHON'] ?? '/usr/bin/python3';

/** Runs `onnx.checker.check_model(m, full_check=True)` on each model; throws when one is invalid. */
export function checkOnnx(models: readonly Uint8Array[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'quantize-check-'));
  try {
    const files = models.map((bytes, i) => {
      const file = path.join(dir, `m${i}.onnx`);
      writeFileSync(file, bytes);
      return file;
    });
    const script = 'import sys, onnx\nfor f in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(f), full_check=True)\nprint("ok", onnx.__version__)\n';
    return execFileSync(python, ['-c', script, ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a Python snippet with numpy and returns its stdout parsed as JSON. */
export function pythonJson(script: string, input: unknown): unknown {
  const out = execFileSync(python, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  return JSON.parse(out);
}

function normal(rng: Rng, n: number, std: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * std);
}

/**
 * A small CNN in ONNX, NCHW [N,1,8,8]: Conv(1->4,3x3,pad 1)+bias -> Relu -> MaxPool 2 -> a residual
 * Conv(4->4) + Add -> Relu -> GlobalAveragePool -> Flatten -> Gemm(4->3, transB) ; `opset` configurable.
 */
export function smallCnn(seed: number, opset = 13): ModelProto {
  const rng = new Rng(seed);
  const b = new GraphBuilder('small_cnn');
  b.input('input', 'float32', ['N', 1, 8, 8]);
  b.initializer('w1', normal(rng, 36, 0.5), [4, 1, 3, 3]);
  b.initializer('b1', normal(rng, 4, 0.1), [4]);
  b.initializer('w2', normal(rng, 144, 0.2), [4, 4, 3, 3]);
  b.initializer('b2', normal(rng, 4, 0.1), [4]);
  b.initializer('w3', normal(rng, 12, 0.5), [3, 4]);
  b.initializer('b3', normal(rng, 3, 0.1), [3]);
  const pads = attr.ints('pads', [1, 1, 1, 1]);
  b.node('Conv', ['input', 'w1', 'b1'], ['c1'], [pads], 'conv1');
  b.node('Relu', ['c1'], ['r1'], [], 'relu1');
  b.node('MaxPool', ['r1'], ['p1'], [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])], 'pool1');
  b.node('Conv', ['p1', 'w2', 'b2'], ['c2'], [pads], 'conv2');
  b.node('Add', ['p1', 'c2'], ['s'], [], 'add');
  b.node('Relu', ['s'], ['r2'], [], 'relu2');
  b.node('GlobalAveragePool', ['r2'], ['g'], [], 'gap');
  b.node('Flatten', ['g'], ['f'], [attr.int('axis', 1)], 'flatten');
  b.node('Gemm', ['f', 'w3', 'b3'], ['logits'], [attr.int('transB', 1)], 'fc');
  b.output('logits', 'float32', ['N', 3]);
  return b.build({ opset });
}

/** Random NHWC images [n,8,8,1] in [0,1) with labels in [0,3). */
export function smallImages(n: number, seed: number): Dataset<'float32'> {
  const rng = new Rng(seed);
  const x = new Tensor('float32', [n, 8, 8, 1], Float32Array.from({ length: n * 64 }, () => rng.next()));
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  return Dataset.fromArrays(x, y, { name: 'images', numClasses: 3 });
}
