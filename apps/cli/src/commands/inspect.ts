import type { Command } from 'commander';
import { inspectFile } from '@shrinkray/onnx-io';
import { countMacs, loadModelForPruning, type MacsReport } from '@shrinkray/prune';
import { formatShape, initBackend, ShrinkrayError } from '@shrinkray/tensor-core';
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
      // MACs per layer need the layer graph: counted on the tfjs model (an ONNX file is imported); null
      // with the reason when the importer does not take the model.
      let macs: MacsReport | null = null;
      let macsError: string | undefined;
      try {
        const model = await loadModelForPruning(file);
        macs = countMacs(model);
        model.dispose();
      } catch (error) {
        if (!ShrinkrayError.isInstance(error)) throw error;
        macsError = error.message;
      }
      const result = { model: file, params: s.params, ops: s.ops, inputs: s.inputs, outputs: s.outputs, sparsity: s.sparsity, bytes: s.bytes, opset: s.opset, producer: s.producer, macs, ...(macsError ? { macsError } : {}) };
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
          macs ? `macs      ${macs.total.toLocaleString('en-US')} per example` : `macs      - (${macsError})`,
          ...(macs?.layers ?? []).map((l) => `  ${l.layer.padEnd(40)} ${l.className.padEnd(16)} ${l.macs.toLocaleString('en-US').padStart(14)}`),
        ].join('\n');
      });
    });
}
