import { openData } from '@shrinkray/datasets';
import { aggregators, ensemble, type EnsembleEvent, type EnsembleReport } from '@shrinkray/ensemble';
import type { Model } from '@shrinkray/tensor-core';
import type { Command } from 'commander';
import { addDataOptions, type DataCliOptions, dataHelp, openDataOptions } from '../data-options.js';
import { emit, type GlobalOptions, type Io, UsageError } from '../io.js';
import { logdirFor, logdirOption } from '../logdir.js';
import { openModel } from '../models.js';
import { createProgress } from '../progress.js';
import { runTextEnsemble, isTextEnsemble } from './text-ensemble.js';
import { addTextOptions, type TextCliOptions } from './text.js';

/** The `--json` result of `shrinkray ensemble` (CLI.md: `members[]`, `ensemble.accuracy`, `aggregator`, `files`). */
export interface EnsembleResult {
  /** `tokenizer` (text data): the `tokenizer.json` whose ids the member read. */
  members: { model: string; accuracy: number; nll: number; ece: number; weight: number | null; tokenizer?: string }[];
  ensemble: { accuracy: number; nll: number; ece: number; samples: number };
  aggregator: string;
  files: string[];
  data: string;
  /** The split the aggregator was fitted on; `fraction` is `null` when the data brought its own validation split. */
  validation: { samples: number; fraction: number | null } | null;
  /** Pairwise top-1 disagreement between members on the test split. */
  disagreement: { mean: number; matrix: readonly (readonly number[])[] };
  /** Accuracy of the fused ONNX graph on the test split and its largest difference from the JS ensemble. */
  fused: { accuracy: number; maxAbsDiff: number } | null;
  notes: readonly string[];
  /** Text data: the tokenizer.json whose ids every member read. */
  tokenizer?: string;
}

interface EnsembleOptions extends DataCliOptions, TextCliOptions {
  data: string;
  aggregator?: string;
  weights?: string;
  fuse?: boolean;
  output?: string;
  validationFraction: string;
  tokenIds?: string;
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
  if (result.tokenizer) lines.push(`tokenizer                   ${result.tokenizer}`);
  for (const m of result.members) if (m.tokenizer && m.tokenizer !== result.tokenizer) lines.push(`  ${m.model} reads its own: ${m.tokenizer}`);
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
  const command = addDataOptions(program.command('ensemble'))
    .description('combine models (tfjs or ONNX, image or text) with an aggregator; --fuse writes one ONNX graph')
    .argument('<models...>', 'two or more tfjs model.json or .onnx files, or text models (a student\'s model.json/.onnx with tokenizer.json beside it, hf:DIR)')
    .requiredOption('--data <spec>', dataHelp())
    .option('--aggregator <name>', `one of ${aggregators.list().join(', ')} (or a plugin's); default mean, or weighted with --weights`)
    .option('--weights <w1,w2,...>', 'one non-negative weight per member (normalised), for --aggregator weighted')
    .option('--fuse', 'write the members and the aggregator as one ONNX graph to -o')
    .option('-o, --output <file>', 'output: the fused .onnx with --fuse, otherwise a JSON description of the ensemble')
    .option('--validation-fraction <f>', 'share of the training split held out to fit the aggregator', '0.1')
    .addOption(logdirOption())
    .option('--token-ids <type>', 'text, --fuse: int32 or int64 integer inputs of the fused graph (default int64 when a member reads int64, else int32)');
  addTextOptions(command).action(async (files: string[], options: EnsembleOptions) => {
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

      const progress = createProgress(out);
      const onEvent = (): ((e: EnsembleEvent) => void) =>
        logdirFor.ensemble(options, (e) => {
          if (e.type === 'predict') progress.step(e.split, e.done, e.total);
          else if (e.type === 'fit') progress.step(`fit ${aggregatorName}`, Math.min(e.iteration + 1, e.maxIterations), e.maxIterations + 1, `loss ${e.loss.toFixed(4)}`);
        });
      const text = await isTextEnsemble(files, options.data, options);
      if (!text && (options.tokenizer !== undefined || options.maxLength !== undefined || options.tokenIds !== undefined)) throw new UsageError('--tokenizer, --max-length and --token-ids apply to text data (jsonl:, text-csv:, csv: of texts) or text models');
      if (options.tokenIds !== undefined && options.tokenIds !== 'int32' && options.tokenIds !== 'int64') throw new UsageError(`--token-ids ${options.tokenIds}: expected int32 or int64`);
      if (options.tokenIds !== undefined && !options.fuse) throw new UsageError('--token-ids applies to the fused graph: add --fuse -o FILE.onnx');
      const members: Model[] = [];
      try {
        let report: EnsembleReport;
        let tokenizer: string | undefined;
        let memberTokenizers: string[] = [];
        if (text) {
          ({ report, tokenizer, memberTokenizers } = await runTextEnsemble(files, options, { plugin, weights, validationFraction: fraction, seed, onEvent: onEvent() }));
        } else {
          for (const file of files) members.push(await openModel(file));
          const data = await openData(options.data, openDataOptions(options, { inputShape: members[0]!.inputShape, seed }));
          ({ report } = await ensemble({
            models: members,
            data,
            aggregator: plugin,
            validationFraction: fraction,
            seed,
            ...(weights ? { weights } : {}),
            ...(options.fuse ? { fuse: true } : {}),
            ...(options.output ? { output: options.output } : {}),
            onEvent: onEvent(),
          }));
        }
        progress.stop();
        const result: EnsembleResult = {
          members: report.members.map((m, i) => ({ model: m.name, accuracy: m.accuracy, nll: m.nll, ece: m.ece, weight: m.weight, ...(memberTokenizers[i] ? { tokenizer: memberTokenizers[i] } : {}) })),
          ensemble: report.ensemble,
          aggregator: report.aggregator,
          files: report.files,
          data: options.data,
          validation: report.validation,
          disagreement: report.disagreement,
          fused: report.fused,
          notes: report.notes,
          ...(tokenizer ? { tokenizer } : {}),
        };
        emit(out, globals(), result, () => humanReport(result));
      } finally {
        await Promise.all(members.map((m) => m.dispose()));
      }
    });
}
