import type { Command } from 'commander';
import { type Dataset, loadData, stratifiedSplit } from '@shrinkray/datasets';
import { aggregators, createEnsemble, type EnsembleEvaluation, type EnsembleProgress, evaluateEnsemble, saveFusedEnsemble, serveEnsemble } from '@shrinkray/ensemble';
import { evaluate, type Model, type Tensor, writeFileAtomic } from '@shrinkray/tensor-core';
import { emit, type GlobalOptions, type Io, UsageError } from '../io.js';
import { logdirFor, logdirOption } from '../logdir.js';
import { openModel } from '../models.js';
import { predictInChunks } from '../predict.js';
import { createProgress } from '../progress.js';

/** The `--json` result of `shrinkray ensemble` (CLI.md: `members[]`, `ensemble.accuracy`, `aggregator`, `files`). */
export interface EnsembleResult {
  members: { model: string; accuracy: number; nll: number; ece: number; weight: number | null }[];
  ensemble: { accuracy: number; nll: number; ece: number; samples: number };
  aggregator: string;
  files: string[];
  data: string;
  validation: { samples: number; fraction: number } | null;
  /** Pairwise top-1 disagreement between members on the test split. */
  disagreement: { mean: number; matrix: readonly (readonly number[])[] };
  /** Accuracy of the fused ONNX graph on the test split and its largest difference from the JS ensemble. */
  fused: { accuracy: number; maxAbsDiff: number } | null;
  notes: readonly string[];
}

interface EnsembleOptions {
  data: string;
  aggregator?: string;
  weights?: string;
  fuse?: boolean;
  output?: string;
  validationFraction: string;
}

function parseWeights(value: string): number[] {
  const parts = value.split(',').map((v) => v.trim());
  const weights = parts.map(Number);
  if (parts.some((p) => p === '') || weights.some((w) => Number.isNaN(w))) throw new UsageError(`--weights ${value}: expected comma-separated numbers such as 1,2,1`);
  return weights;
}

function pct(v: number): string {
  return `${(v * 100).toFixed(2)}%`;
}

function humanReport(result: EnsembleResult): string {
  const name = (s: string) => s.padEnd(Math.max(10, ...result.members.map((m) => m.model.length)));
  const lines = [
    `aggregator  ${result.aggregator}`,
    `data        ${result.data} (test split, ${result.ensemble.samples} samples${result.validation ? `; fitted on a ${result.validation.samples}-sample validation split` : ''})`,
    '',
    `${name('model')}  accuracy      nll     ece  weight`,
    ...result.members.map((m) => `${name(m.model)}  ${pct(m.accuracy).padStart(8)}  ${m.nll.toFixed(4).padStart(7)}  ${m.ece.toFixed(4)}  ${m.weight === null ? '-' : m.weight.toFixed(4)}`),
    `${name('ensemble')}  ${pct(result.ensemble.accuracy).padStart(8)}  ${result.ensemble.nll.toFixed(4).padStart(7)}  ${result.ensemble.ece.toFixed(4)}`,
    '',
    `mean pairwise disagreement  ${pct(result.disagreement.mean)}`,
  ];
  if (result.fused) lines.push(`fused graph accuracy        ${pct(result.fused.accuracy)} (max |Δp| vs members run separately ${result.fused.maxAbsDiff.toExponential(2)})`);
  for (const note of result.notes) lines.push(`note: ${note}`);
  for (const file of result.files) lines.push(`wrote ${file}`);
  return lines.join('\n');
}

/**
 * `shrinkray ensemble <model> <model>… --data D [--aggregator NAME] [--weights w1,w2,…] [--fuse] [-o OUT]`:
 * combines the members with an aggregator (fitted on a validation split carved from the training split
 * with --seed when it needs one), reports each member's and the ensemble's test accuracy, and writes
 * either the fused ONNX graph (`--fuse -o ensemble.onnx`) or a JSON description (`-o ensemble.json`).
 */
export function registerEnsemble(program: Command, io: () => Io, globals: () => GlobalOptions): void {
  program
    .command('ensemble')
    .description('combine models (tfjs or ONNX) with an aggregator; --fuse writes one ONNX graph')
    .argument('<models...>', 'two or more tfjs model.json or .onnx files')
    .requiredOption('--data <spec>', 'mnist | fashion-mnist[:DIR] | idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS')
    .option('--aggregator <name>', `one of ${aggregators.list().join(', ')} (or a plugin's); default mean, or weighted with --weights`)
    .option('--weights <w1,w2,...>', 'one non-negative weight per member (normalised), for --aggregator weighted')
    .option('--fuse', 'write the members and the aggregator as one ONNX graph to -o')
    .option('-o, --output <file>', 'output: the fused .onnx with --fuse, otherwise a JSON description of the ensemble')
    .option('--validation-fraction <f>', 'share of the training split held out to fit the aggregator', '0.1')
    .addOption(logdirOption())
    .action(async (files: string[], options: EnsembleOptions) => {
      const out = io();
      const seed = globals().seed ?? 0;
      const weights = options.weights === undefined ? undefined : parseWeights(options.weights);
      const aggregatorName = options.aggregator ?? (weights ? 'weighted' : 'mean');
      const plugin = aggregators.get(aggregatorName);
      if (weights && !plugin.requiresWeights) throw new UsageError(`--weights applies to --aggregator weighted, not ${aggregatorName}`);
      if (options.fuse && !options.output) throw new UsageError('--fuse needs -o FILE.onnx');
      if (options.fuse && !options.output!.toLowerCase().endsWith('.onnx')) throw new UsageError(`-o ${options.output}: --fuse writes an ONNX graph; use a .onnx file name`);
      const fraction = Number(options.validationFraction);
      if (!(fraction > 0 && fraction < 1)) throw new UsageError(`--validation-fraction ${options.validationFraction}: expected a number in (0, 1)`);

      const members: Model[] = [];
      try {
        for (const file of files) members.push(await openModel(file));
        const { train, test } = await loadData(options.data);
        const progress = createProgress(out);
        let validation: Dataset | undefined;
        let validationOutputs: { logits: Tensor<'float32'>[]; labels: Int32Array } | undefined;
        if (plugin.requiresValidation) {
          validation = stratifiedSplit(train, { fraction, seed }).validation;
          progress.start('validation', validation.y.length);
          validationOutputs = { logits: await predictInChunks(members, validation.x, (d) => progress.update(d)), labels: validation.y };
          progress.stop();
        }
        let fitting = false;
        const onProgress = (event: EnsembleProgress) => {
          if (event.type !== 'fit') return;
          if (!fitting) progress.start(`fit ${aggregatorName}`, event.maxIterations);
          fitting = true;
          progress.update(Math.min(event.iteration + 1, event.maxIterations), `loss ${event.loss.toFixed(4)}`);
        };
        const ensemble = await createEnsemble(members, {
          aggregator: plugin,
          seed,
          onProgress: logdirFor.ensemble(options, onProgress),
          ...(weights ? { weights } : {}),
          ...(validationOutputs ? { validationOutputs } : {}),
        });
        progress.stop();
        progress.start('test', test.y.length);
        const memberLogits = await predictInChunks(members, test.x, (d) => progress.update(d));
        progress.stop();
        const probabilities = ensemble.aggregator.combine(memberLogits);
        const report: EnsembleEvaluation = evaluateEnsemble({ memberLogits, memberNames: files, probabilities, labels: test.y });

        const written: string[] = [];
        let fused: EnsembleResult['fused'] = null;
        if (options.fuse) {
          await saveFusedEnsemble(ensemble, options.output!);
          written.push(options.output!);
          const server = await serveEnsemble(ensemble, { mode: 'fused' });
          try {
            const p = await server.run(test.x);
            let maxAbsDiff = 0;
            for (let i = 0; i < p.size; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(p.data[i]! - probabilities.data[i]!));
            fused = { accuracy: evaluate(p, test.y, { from: 'probabilities' }).accuracy, maxAbsDiff };
          } finally {
            await server.dispose();
          }
        }
        const result: EnsembleResult = {
          members: report.members.map((m, i) => ({ model: files[i]!, accuracy: m.accuracy, nll: m.nll, ece: m.ece, weight: ensemble.aggregator.weights?.[i] ?? null })),
          ensemble: { ...report.ensemble },
          aggregator: ensemble.aggregator.name,
          files: written,
          data: options.data,
          validation: validation ? { samples: validation.y.length, fraction } : null,
          disagreement: { mean: report.meanDisagreement, matrix: report.disagreement },
          fused,
          notes: ensemble.aggregator.notes,
        };
        if (options.output && !options.fuse) {
          const description = { ...result, files: [options.output], aggregatorState: ensemble.aggregator.toJSON() };
          await writeFileAtomic(options.output, `${JSON.stringify(description, null, 2)}\n`);
          written.push(options.output);
        }
        emit(out, globals(), result, () => humanReport(result));
      } finally {
        await Promise.all(members.map((m) => m.dispose()));
      }
    });
}
