import type { Command } from 'commander';
import { inspectFile } from '@shrinkray/onnx-io';
import { formatShape, initBackend } from '@shrinkray/tensor-core';
import { emit, type GlobalOptions, type Io } from '../io.js';
import { checkModelPath } from '../models.js';

export function registerInspect(program: Command, io: () => Io, globals: () => GlobalOptions): void {
  program
    .command('inspect')
    .description('ops, parameters, size, sparsity, inputs and outputs of a model (a tfjs model is read through its ONNX export)')
    .argument('<model>', 'tfjs model.json or .onnx file')
    .action(async (file: string) => {
      checkModelPath(file);
      await initBackend();
      const s = await inspectFile(file);
      const result = { model: file, params: s.params, ops: s.ops, inputs: s.inputs, outputs: s.outputs, sparsity: s.sparsity, bytes: s.bytes, opset: s.opset, producer: s.producer };
      emit(io(), globals(), result, () => {
        const values = (list: typeof s.inputs) => list.map((v) => `${v.name} ${formatShape(v.shape)} ${v.dtype}`).join(', ');
        const ops = Object.entries(s.ops)
          .sort((a, b) => b[1] - a[1])
          .map(([op, n]) => `${op}×${n}`)
          .join(' ');
        return [
          `model     ${file} (opset ${s.opset}, ${s.producer || 'unknown producer'})`,
          `params    ${s.params.toLocaleString('en-US')}`,
          `bytes     ${s.bytes.toLocaleString('en-US')}`,
          `sparsity  ${(s.sparsity * 100).toFixed(2)}%`,
          `inputs    ${values(s.inputs)}`,
          `outputs   ${values(s.outputs)}`,
          `ops       ${ops}`,
        ].join('\n');
      });
    });
}
