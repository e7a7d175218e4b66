import type { Command } from 'commander';
import { exportTfjs, saveOnnx } from '@shrinkray/onnx-io';
import { initBackend, loadTfjsModel } from '@shrinkray/tensor-core';
import { emit, type GlobalOptions, type Io, UsageError } from '../io.js';

export function registerExport(program: Command, io: () => Io, globals: () => GlobalOptions): void {
  program
    .command('export')
    .description('convert a tfjs model to ONNX (opset 17)')
    .argument('<model.json>', 'tfjs layers model')
    .requiredOption('-o, --output <file.onnx>', 'ONNX file to write (atomically)')
    .action(async (file: string, options: { output: string }) => {
      if (!file.toLowerCase().endsWith('.json')) throw new UsageError(`${file}: export takes a tfjs model.json`);
      if (!options.output.toLowerCase().endsWith('.onnx')) throw new UsageError(`-o ${options.output}: expected a .onnx file name`);
      await initBackend();
      const model = await loadTfjsModel(file);
      try {
        const bytes = await saveOnnx(await exportTfjs(model), options.output);
        emit(io(), globals(), { files: [options.output], bytes: bytes.byteLength }, () => `wrote ${options.output} (${bytes.byteLength.toLocaleString('en-US')} bytes)`);
      } finally {
        model.dispose();
      }
    });
}
