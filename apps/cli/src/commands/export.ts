import type { Command } from 'commander';
import { exportTfjsFile, importOnnxFile } from '@shrinkray/onnx-io';
import { initBackend } from '@shrinkray/tensor-core';
import { emit, type GlobalOptions, type Io, UsageError } from '../io.js';
import { checkModelPath } from '../models.js';

/** `export` (tfjs -> ONNX) and `import` (ONNX -> tfjs): both write atomically and report `files`. */
export function registerExport(program: Command, io: () => Io, globals: () => GlobalOptions): void {
  program
    .command('export')
    .description('convert a tfjs model to ONNX (opset 17)')
    .argument('<model.json>', 'tfjs layers model')
    .requiredOption('-o, --output <file.onnx>', 'ONNX file to write')
    .action(async (file: string, options: { output: string }) => {
      checkModelPath(file);
      if (!file.toLowerCase().endsWith('.json')) throw new UsageError(`${file}: export takes a tfjs model.json`);
      if (!options.output.toLowerCase().endsWith('.onnx')) throw new UsageError(`-o ${options.output}: expected a .onnx file name`);
      await initBackend();
      const { files } = await exportTfjsFile(file, options.output);
      emit(io(), globals(), { files }, () => `wrote ${files.join(', ')}`);
    });
  program
    .command('import')
    .description('convert an ONNX model (PyTorch exports included) to a tfjs model: DIR/model.json + weights')
    .argument('<model.onnx>', 'ONNX file')
    .requiredOption('-o, --output <dir>', 'directory to write model.json and weights.bin into')
    .action(async (file: string, options: { output: string }) => {
      checkModelPath(file);
      if (!file.toLowerCase().endsWith('.onnx')) throw new UsageError(`${file}: import takes an .onnx file`);
      await initBackend();
      const { files } = await importOnnxFile(file, options.output);
      emit(io(), globals(), { files }, () => `wrote ${files.join(', ')}`);
    });
}
