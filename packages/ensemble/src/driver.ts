import { ConfigError, checkDatasetOption, checkModelFitsData, type Dataset, evaluate, type Model, stratifiedSplit, Tensor, writeFileAtomic } from '@shrinkray/tensor-core';
import { aggregators as defaultRegistry } from './aggregators/builtins.js';
import type { AggregatorRegistry } from './aggregators/registry.js';
import type { AggregatorPlugin, FitProgress } from './aggregators/types.js';
import { checkSharedInput, createEnsemble, type Ensemble } from './ensemble.js';
import { evaluateEnsemble } from './evaluate.js';
import { checkMemberData, predictPerMember } from './member-data.js';
import { checkMembers, type MemberSignature, memberInput } from './members.js';
import { type ServeOptions, saveFusedEnsemble, serveEnsemble } from './serve.js';
import { checkInputFitsData, checkMemberTokenizers, type TokenizerIdentity } from './tokenizers.js';

/** Default share of the training split held out to fit an aggregator when no validation split is given. */
export const DEFAULT_VALIDATION_FRACTION = 0.1;

/** The splits `ensemble` reads (what `openData` returns). */
export interface EnsembleData {
  /** The members' training data: a validation split is carved from it when an aggregator needs one and `validation` is absent. */
  train?: Dataset;
  /** Labelled examples the members did not train on, to fit `accuracy-weighted`, `optimized`, `stacking`. */
  validation?: Dataset;
  /** Where every member and the ensemble are scored. */
  test: Dataset;
  /**
   * Text data: the tokenizer that made the token ids (`openData` on text sets it), which every
   * text member must read (see `tokenizers`); its pad id feeds `attention_mask` in the fused graph.
   */
  tokenizer?: TokenizerIdentity;
}

/** Options of {@link ensemble}. */
export interface EnsembleDriverOptions {
  /**
   * Two or more models (tfjs or ONNX) with the same classes and input size: all image/feature
   * models, or all text models reading int32 token ids `[N, L]` (tfjs text students, onnx-io
   * `OnnxTextModel`s such as a Hugging Face folder's model).
   */
  models: readonly Model[];
  data: EnsembleData;
  /**
   * Text members: the tokenizer each member was trained with (`undefined` for one that reads the
   * data's ids as they are). Every one must match the tokenizer of the data it reads - same
   * `tokenizer.json`, length and pad id as `memberData[i].tokenizer` for a member with data of its
   * own, else as `data.tokenizer` - or the ensemble is refused with a `MemberMismatchError` naming
   * the member, before any member runs.
   */
  tokenizers?: readonly (TokenizerIdentity | undefined)[];
  /**
   * Text members that tokenize the texts themselves (e.g. a Hugging Face teacher with its own
   * vocabulary next to students on another): per member, its own splits - the same texts in the same
   * order, tokenized by its tokenizer (`openData` with that tokenizer) - or `undefined` for a member
   * reading `data`. Each member runs on its own ids; the report is as usual, but the ensemble has no
   * one input: `fuse`, `predict` and `serveEnsemble` refuse it.
   */
  memberData?: readonly (EnsembleData | undefined)[];
  /** A registered aggregator name or a plugin object; `weighted` when `weights` is given, else `mean`. */
  aggregator?: string | AggregatorPlugin;
  /** One non-negative weight per member (for `weighted`). */
  weights?: readonly number[];
  /** Aggregator-specific options, e.g. `{ l2: 1e-3 }` for stacking. */
  aggregatorOptions?: Readonly<Record<string, unknown>>;
  /** Where aggregator names are looked up; the shared `aggregators` registry by default. */
  registry?: AggregatorRegistry;
  /** Share of `data.train` held out (stratified, seeded) when the aggregator needs a validation split. Default 0.1. */
  validationFraction?: number;
  seed?: number;
  /** Text members, fused graph: the type of its integer inputs (default INT64 when a member reads INT64, else INT32). */
  tokenIds?: 'int32' | 'int64';
  /** Also build the fused ONNX graph, run the test split through it and report its accuracy and largest difference from the JS ensemble. */
  fuse?: boolean;
  /** Write the ensemble here: the fused graph (`.onnx`, with `fuse`) or a JSON description (report + aggregator state). */
  output?: string;
  onEvent?: (event: EnsembleEvent) => void;
  signal?: AbortSignal;
}

/** One member's line of the report. */
export interface EnsembleMemberReport {
  name: string;
  accuracy: number;
  nll: number;
  ece: number;
  /** The member's weight in the combination; `null` for aggregators that do not weight members (stacking). */
  weight: number | null;
}

/** What {@link ensemble} measured and wrote. */
export interface EnsembleReport {
  members: EnsembleMemberReport[];
  ensemble: { accuracy: number; nll: number; ece: number; samples: number };
  aggregator: string;
  /** The validation split the aggregator was fitted on; `fraction` is `null` when it was given, not carved. */
  validation: { samples: number; fraction: number | null } | null;
  /** Pairwise top-1 disagreement between members on the test split. */
  disagreement: { mean: number; matrix: readonly (readonly number[])[] };
  /** Accuracy of the fused ONNX graph on the test split and its largest difference from the JS ensemble (`fuse`). */
  fused: { accuracy: number; maxAbsDiff: number } | null;
  notes: readonly string[];
  files: string[];
}

/** Progress of {@link ensemble} (and `createEnsemble`), as a tagged union. */
export type EnsembleEvent =
  | { readonly type: 'predict'; readonly split: 'validation' | 'test' | 'fused'; readonly done: number; readonly total: number }
  | ({ readonly type: 'fit' } & FitProgress)
  | { readonly type: 'saved'; readonly file: string }
  | { readonly type: 'done'; readonly report: EnsembleReport };

/** What {@link ensemble} returns: the fitted ensemble (its members are the caller's) and the report. */
export interface EnsembleResult {
  model: Ensemble;
  report: EnsembleReport;
}

function labelledSplit(ds: Dataset | undefined, option: string, members: readonly Model[], signature: MemberSignature, shared: readonly number[]): Dataset | undefined {
  if (!ds) return undefined;
  checkDatasetOption(ds, option);
  if (!ds.labelled) throw new ConfigError(option, `${ds.name} has unlabelled examples; ${option} must be labelled`);
  checkModelFitsData(members[0]!, ds);
  checkInputFitsData(members, signature.input, ds, option, shared);
  return ds;
}

/** The fused graph's probabilities on `test`, batch by batch, and their largest difference from `reference`. */
async function fusedParity(model: Ensemble, test: Dataset, reference: Tensor<'float32'>, emit: (e: EnsembleEvent) => void, serve: Omit<ServeOptions, 'mode'>, signal?: AbortSignal): Promise<{ accuracy: number; maxAbsDiff: number }> {
  const server = await serveEnsemble(model, { mode: 'fused', ...serve });
  try {
    const classes = model.numClasses;
    const probabilities = new Float32Array(test.size * classes);
    let done = 0;
    for await (const batch of test.batches({ batchSize: 1000, ...(signal ? { signal } : {}) })) {
      const p = await server.run(batch.x);
      probabilities.set(p.data, done * classes);
      done += batch.indices.length;
      emit({ type: 'predict', split: 'fused', done, total: test.size });
    }
    let maxAbsDiff = 0;
    for (let i = 0; i < probabilities.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(probabilities[i]! - reference.data[i]!));
    return { accuracy: evaluate(new Tensor('float32', [test.size, classes], probabilities), test.labels, { from: 'probabilities' }).accuracy, maxAbsDiff };
  } finally {
    await server.dispose();
  }
}

/**
 * The ensembling driver: checks the members agree and fit the data, fits the aggregator (on
 * `data.validation`, or on a stratified, seeded `validationFraction` of `data.train` when the
 * aggregator needs one), scores every member and the ensemble on `data.test`, optionally fuses the
 * ensemble into one ONNX graph and checks it against the JS combination, and writes `output`.
 *
 * @example
 * const data = await openData('mnist', { inputShape: a.inputShape });
 * const { model, report } = await ensemble({ models: [a, b, c], data, aggregator: 'stacking', fuse: true, output: 'ensemble.onnx' });
 * console.log(report.ensemble.accuracy, report.members.map((m) => m.accuracy));
 */
export async function ensemble(options: EnsembleDriverOptions): Promise<EnsembleResult> {
  const emit = (event: EnsembleEvent): void => options.onEvent?.(event);
  const { models, signal } = options;
  if (!Array.isArray(models) || models.length === 0) throw new ConfigError('models', 'needs at least one model');
  const input = memberInput(models[0]!);
  if (!options.data?.test) throw new ConfigError('data.test', 'is required: members and ensemble are scored on it');
  const ownIds = checkMemberData(models, input, options.data, options.memberData);
  const signature = checkMembers(models, { ownIds });
  const shared = models.map((_, i) => i).filter((i) => !ownIds[i]);
  const memberData = options.memberData ?? [];
  checkMemberTokenizers(models, options.tokenizers, options.data.tokenizer, memberData.map((d) => d?.tokenizer));
  if (options.fuse) checkSharedInput(models, ownIds, 'fused');
  const registry = options.registry ?? defaultRegistry;
  const plugin = typeof options.aggregator === 'object' ? options.aggregator : registry.get(options.aggregator ?? (options.weights ? 'weighted' : 'mean'));
  if (options.weights && !plugin.requiresWeights) throw new ConfigError('weights', `apply to the weighted aggregator, not ${plugin.name}`);
  if (options.fuse && options.output && !options.output.toLowerCase().endsWith('.onnx')) throw new ConfigError('output', `${options.output}: a fused ensemble is an ONNX graph; use a .onnx file name`);
  if (!options.fuse && options.output?.toLowerCase().endsWith('.onnx')) throw new ConfigError('output', `${options.output}: an ONNX file needs fuse: true (otherwise the output is a JSON description)`);
  const test = labelledSplit(options.data.test, 'data.test', models, signature, shared)!;
  if (options.data.train) {
    checkModelFitsData(models[0]!, options.data.train);
    checkInputFitsData(models, signature.input, options.data.train, 'data.train', shared);
  }
  let validation = labelledSplit(options.data.validation, 'data.validation', models, signature, shared);
  let ownValidation = memberData.map((d) => d?.validation);
  let fraction: number | null = null;
  if (plugin.requiresValidation && !validation) {
    const train = options.data.train;
    if (!train) throw new ConfigError('data', `aggregator ${plugin.name} is fitted on a validation split: give data.validation or data.train to carve one from`);
    fraction = options.validationFraction ?? DEFAULT_VALIDATION_FRACTION;
    if (!(fraction > 0 && fraction < 1)) throw new ConfigError('validationFraction', `must be in (0, 1), got ${fraction}`);
    const split = stratifiedSplit(train, fraction, options.seed ?? 0, [`${train.name} (rest)`, `${train.name} (validation)`]);
    validation = labelledSplit(split.second, 'data.train', models, signature, shared);
    // A member's own data holds the same rows: the same positions are its validation split.
    ownValidation = memberData.map((d) => d?.train?.subset(split.secondIndices, `${d.train.name} (validation)`));
  }

  const progress = (split: 'validation' | 'test') => ({ onProgress: (done: number, total: number) => emit({ type: 'predict', split, done, total }), ...(signal ? { signal } : {}) });
  const anyOwn = ownIds.some(Boolean);
  // Members reading ids of their own are run here, each on its own split, and the aggregator is fitted from their outputs.
  const validationOutputs = anyOwn && plugin.requiresValidation && validation ? { logits: await predictPerMember(models, validation, ownValidation, progress('validation')), labels: validation.labels } : undefined;
  const model = await createEnsemble(models, {
    aggregator: plugin,
    seed: options.seed ?? 0,
    ...(options.weights ? { weights: options.weights } : {}),
    ...(options.aggregatorOptions ? { aggregatorOptions: options.aggregatorOptions } : {}),
    ...(validationOutputs ? { validationOutputs } : plugin.requiresValidation && validation ? { validation } : {}),
    ...(anyOwn ? { ownIds } : {}),
    onEvent: emit,
    ...(signal ? { signal } : {}),
  });
  const memberLogits = await predictPerMember(
    models,
    test,
    memberData.map((d) => d?.test),
    progress('test'),
  );
  const probabilities = model.aggregator.combine(memberLogits);
  const evaluation = evaluateEnsemble({ memberLogits, memberNames: model.memberNames, probabilities, labels: test.labels });

  const files: string[] = [];
  let fused: EnsembleReport['fused'] = null;
  if (options.fuse) {
    const padId = options.data.tokenizer?.padId;
    const tokenIds = options.tokenIds ? { tokenIds: options.tokenIds } : {};
    fused = await fusedParity(model, test, probabilities, emit, { ...tokenIds, ...(padId !== undefined ? { padId } : {}) }, signal);
    if (options.output) {
      await saveFusedEnsemble(model, options.output, tokenIds);
      files.push(options.output);
      emit({ type: 'saved', file: options.output });
    }
  }
  const report: EnsembleReport = {
    members: evaluation.members.map((m, i) => ({ name: m.name, accuracy: m.accuracy, nll: m.nll, ece: m.ece, weight: model.aggregator.weights?.[i] ?? null })),
    ensemble: { ...evaluation.ensemble },
    aggregator: model.aggregator.name,
    validation: plugin.requiresValidation && validation ? { samples: validation.size, fraction } : null,
    disagreement: { mean: evaluation.meanDisagreement, matrix: evaluation.disagreement },
    fused,
    notes: model.aggregator.notes,
    files,
  };
  if (options.output && !options.fuse) {
    report.files.push(options.output);
    await writeFileAtomic(options.output, `${JSON.stringify({ ...report, aggregatorState: model.aggregator.toJSON() }, null, 2)}\n`);
    emit({ type: 'saved', file: options.output });
  }
  emit({ type: 'done', report });
  return { model, report };
}
