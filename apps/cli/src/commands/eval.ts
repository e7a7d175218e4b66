import { openData } from '@shrinkray/datasets';
import { evaluate } from '@shrinkray/tensor-core';
import type { Command } from 'commander';
import { addDataOptions, type DataCliOptions, dataHelp, openDataOptions } from '../data-options.js';
import { emit, type GlobalOptions, type Io } from '../io.js';
import { openModel } from '../models.js';
import { createProgress } from '../progress.js';
import { addTextOptions, isTextJob, runTextEval, type TextCliOptions } from './text.js';

export interface EvalResult {
  model: string;
  data: string;
  accuracy: number;
  nll: number;
  ece: number;
  samples: number;
  /** Per-class top-1 accuracy, by class name (`null` for a class without test examples). */
  classes: { name: string; accuracy: number | null }[];
}

/** `shrinkray eval <model> --data D`: the `evaluate` driver on the test split. */
export function registerEval(program: Command, io: () => Io, globals: () => GlobalOptions): void {
  const command = addDataOptions(program.command('eval'))
    .description('accuracy, NLL and calibration (ECE) of a model on the test split')
    .argument('<model>', 'tfjs model.json, .onnx file, or a transformers.js text model folder (hf:DIR)')
    .requiredOption('--data <spec>', dataHelp());
  addTextOptions(command).action(async (modelPath: string, options: { data: string } & DataCliOptions & TextCliOptions) => {
      const out = io();
      if (await isTextJob(modelPath, options.data, options)) return runTextEval(out, globals(), modelPath, options);
      const model = await openModel(modelPath);
      try {
        const { test } = await openData(options.data, openDataOptions(options, { inputShape: model.inputShape, seed: globals().seed ?? 0 }));
        const progress = createProgress(out);
        const { report } = await evaluate({
          model,
          data: test,
          onEvent: (e) => {
            if (e.type === 'predict') progress.step('eval', e.done, e.total);
          },
        });
        progress.stop();
        const classes = report.classNames.map((name, c) => ({ name, accuracy: report.perClassAccuracy[c] ?? null }));
        const result: EvalResult = { model: modelPath, data: options.data, accuracy: report.accuracy, nll: report.nll, ece: report.ece, samples: report.samples, classes };
        emit(out, globals(), result, () =>
          [`model     ${modelPath}`, `data      ${options.data} (test split, ${result.samples} samples)`, `accuracy  ${(result.accuracy * 100).toFixed(2)}%`, `nll       ${result.nll.toFixed(4)}`, `ece       ${result.ece.toFixed(4)}`, `classes   ${classes.map((c) => `${c.name} ${c.accuracy === null ? '-' : `${(c.accuracy * 100).toFixed(1)}%`}`).join(', ')}`].join('\n'),
        );
      } finally {
        await model.dispose();
      }
    });
}
