import type { Command } from 'commander';
import { loadData } from '@shrinkray/datasets';
import { evaluate, ShapeMismatchError } from '@shrinkray/tensor-core';
import { emit, type GlobalOptions, type Io } from '../io.js';
import { openModel } from '../models.js';
import { predictInChunks } from '../predict.js';
import { createProgress } from '../progress.js';
import { addTextOptions, isTextJob, runTextEval, type TextCliOptions } from './text.js';

export interface EvalResult {
  model: string;
  data: string;
  accuracy: number;
  nll: number;
  ece: number;
  samples: number;
}

export function registerEval(program: Command, io: () => Io, globals: () => GlobalOptions): void {
  const command = program
    .command('eval')
    .description('accuracy, NLL and calibration (ECE) of a model on the test split')
    .argument('<model>', 'tfjs model.json, .onnx file, or a transformers.js text model folder (hf:DIR)')
    .requiredOption('--data <spec>', 'mnist | fashion-mnist[:DIR] | idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS | jsonl:TRAIN[,TEST] | text-csv:TRAIN[,TEST]');
  addTextOptions(command).action(async (modelPath: string, options: { data: string } & TextCliOptions) => {
      const out = io();
      if (await isTextJob(modelPath, options.data)) return runTextEval(out, globals(), modelPath, options);
      const model = await openModel(modelPath);
      try {
        const { test } = await loadData(options.data);
        if (model.numClasses !== test.numClasses) {
          throw new ShapeMismatchError({ tensor: `${modelPath} output`, expected: `${test.numClasses} classes (data ${options.data})`, found: `${model.numClasses} classes` });
        }
        const progress = createProgress(out);
        progress.start('eval', test.y.length);
        const [logits] = await predictInChunks([model], test.x, (done) => progress.update(done));
        progress.stop();
        const metrics = evaluate(logits!, test.y);
        const result: EvalResult = { model: modelPath, data: options.data, ...metrics };
        emit(out, globals(), result, () =>
          [`model     ${modelPath}`, `data      ${options.data} (test split, ${metrics.samples} samples)`, `accuracy  ${(metrics.accuracy * 100).toFixed(2)}%`, `nll       ${metrics.nll.toFixed(4)}`, `ece       ${metrics.ece.toFixed(4)}`].join('\n'),
        );
      } finally {
        await model.dispose();
      }
    });
}
