import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { inspect, loadOnnx } from '@shrinkray/onnx-io';
import { formatShape, initBackend, loadTfjsModel, type tfl } from '@shrinkray/tensor-core';
import { emit, type GlobalOptions, type Io, UsageError } from '../io.js';

/** The `inspect --json` keys (CLI.md): params, ops, inputs, outputs, sparsity, bytes. */
export interface InspectResult {
  model: string;
  format: 'onnx' | 'tfjs';
  params: number;
  ops: Record<string, number>;
  inputs: { name: string; shape: (number | string | null)[]; dtype: string }[];
  outputs: { name: string; shape: (number | string | null)[]; dtype: string }[];
  sparsity: number;
  bytes: number;
  opset?: number;
}

async function inspectOnnx(file: string): Promise<InspectResult> {
  const model = await loadOnnx(file);
  const s = inspect(model, statSync(file).size);
  return {
    model: file,
    format: 'onnx',
    params: s.params,
    ops: s.ops,
    inputs: s.inputs.map((v) => ({ name: v.name, shape: [...v.shape], dtype: v.dtype })),
    outputs: s.outputs.map((v) => ({ name: v.name, shape: [...v.shape], dtype: v.dtype })),
    sparsity: s.sparsity,
    bytes: s.bytes,
    opset: s.opset,
  };
}

function tfjsSummary(file: string, model: tfl.LayersModel): InspectResult {
  const ops: Record<string, number> = {};
  for (const layer of model.layers) ops[layer.getClassName()] = (ops[layer.getClassName()] ?? 0) + 1;
  let zeros = 0;
  let total = 0;
  for (const w of model.getWeights()) {
    const values = w.dataSync();
    total += values.length;
    for (const v of values) if (v === 0) zeros++;
  }
  const weightsFile = path.join(path.dirname(file), 'weights.bin');
  let bytes = statSync(file).size;
  try {
    bytes += statSync(weightsFile).size;
  } catch {
    // Weights stored under another name: model.json size alone.
  }
  return {
    model: file,
    format: 'tfjs',
    params: model.countParams(),
    ops,
    inputs: model.inputs.map((t) => ({ name: t.name, shape: [...t.shape], dtype: t.dtype })),
    outputs: model.outputs.map((t) => ({ name: t.name, shape: [...t.shape], dtype: t.dtype })),
    sparsity: total === 0 ? 0 : zeros / total,
    bytes,
  };
}

export function registerInspect(program: Command, io: () => Io, globals: () => GlobalOptions): void {
  program
    .command('inspect')
    .description('ops, parameters, size, sparsity, inputs and outputs of a model')
    .argument('<model>', 'tfjs model.json or .onnx file')
    .action(async (file: string) => {
      let result: InspectResult;
      if (file.toLowerCase().endsWith('.onnx')) result = await inspectOnnx(file);
      else if (file.toLowerCase().endsWith('.json')) {
        await initBackend();
        const model = await loadTfjsModel(file);
        result = tfjsSummary(file, model);
        model.dispose();
      } else throw new UsageError(`${file}: expected a tfjs model.json or an .onnx file`);
      emit(io(), globals(), result, () => {
        const io = (list: InspectResult['inputs']) => list.map((v) => `${v.name} ${formatShape(v.shape)} ${v.dtype}`).join(', ');
        const ops = Object.entries(result.ops)
          .sort((a, b) => b[1] - a[1])
          .map(([op, n]) => `${op}×${n}`)
          .join(' ');
        return [
          `model     ${file} (${result.format}${result.opset ? `, opset ${result.opset}` : ''})`,
          `params    ${result.params.toLocaleString('en-US')}`,
          `bytes     ${result.bytes.toLocaleString('en-US')}`,
          `sparsity  ${(result.sparsity * 100).toFixed(2)}%`,
          `inputs    ${io(result.inputs)}`,
          `outputs   ${io(result.outputs)}`,
          `ops       ${ops}`,
        ].join('\n');
      });
    });
}
