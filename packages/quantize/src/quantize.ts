import { readFile } from 'node:fs/promises';
import { decodeOnnx, encodeOnnx, isTextGraph, type ModelProto, OnnxFormatError } from '@shrinkray/onnx-io';
import { ConfigError, type Dataset, type DatasetSplits, evaluateModel, type Tensor } from '@shrinkray/tensor-core';
import { collectRanges, checkData, calibrationSubset } from './calibration/calibrate.js';
import { type CalibrationMethod, calibrationMethods } from './calibration/methods.js';
import { applyDynamic } from './dynamic.js';
import { applyFp16 } from './fp16.js';
import { nodeLabel } from './graph.js';
import { compareThroughput, type FusedGraph, fusedGraph, type ModelBytes, modelBytes, type ThroughputRow } from './measure.js';
import { ensureOpset, QDQ_OPSET } from './opset.js';
import { planStatic, quantizableNodes, type QuantizedNode, type SkippedNode } from './plan.js';
import { applyStatic } from './qdq.js';
import { openScoringModel } from './scoring-model.js';
import { openSession } from './session.js';
import { type LayerSensitivity, layerSensitivity } from './sensitivity.js';

/** How to quantize: int8 QDQ with calibrated activations, int8 weights with run-time activation scales, or float16. */
export type QuantizeMode = 'static' | 'dynamic' | 'fp16';

/** Progress of `quantize`, one tagged union (observe only). */
export type QuantizeEvent =
  | { type: 'calibrate'; done: number; total: number }
  | { type: 'evaluate'; model: 'before' | 'after' }
  | { type: 'throughput' }
  | { type: 'sensitivity'; done: number; total: number; node: string }
  | { type: 'done'; report: QuantizeReport };

/** Options of `quantize`. */
export interface QuantizeOptions {
  /** The float model: a parsed `ModelProto`, ONNX bytes or an `.onnx` path. */
  model: ModelProto | Uint8Array | string;
  /** Name of the model file in messages (default: the path given, else `<model>`). */
  file?: string;
  /**
   * Calibration and evaluation data: with splits, calibration reads `train` and accuracy is measured on
   * `test`; a single dataset serves both. Required for `static`; optional otherwise (no accuracy then).
   */
  data?: Dataset | DatasetSplits;
  /** Default: `static` when the graph has a Conv, else `dynamic`. */
  mode?: QuantizeMode;
  /** Calibration method name in `calibrationMethods` (or a method object). Default `minmax`. */
  calibration?: string | CalibrationMethod;
  /** Calibration examples (a seeded random subset). Default 512. */
  calibrationSamples?: number;
  /** Int8 weights with one scale per output channel (default true). */
  perChannel?: boolean;
  /** Node names or op types left in float32. */
  exclude?: readonly string[];
  /**
   * int8 modes: store embedding tables (Gather of a constant 2-D table) in int8 and dequantize the rows
   * looked up (default true: text models, whose tables are most of their bytes, come out about 3x
   * smaller with unchanged accuracy on the bench's fixtures; the lookup's dequantization costs some batch-1 speed).
   */
  gather?: boolean;
  /**
   * Text classifiers (graphs whose inputs are `input_ids`, `attention_mask`, `token_type_ids`): the
   * pad token id that makes `attention_mask = ids != padId` from the data's int32 token ids (default 0).
   */
  padId?: number;
  /** Per-layer sensitivity on this many evaluation examples (default: off; `true` = 1000). */
  sensitivity?: boolean | number;
  /** Measure accuracy before/after on the evaluation data (default true when data is given). */
  evaluate?: boolean;
  /** Measure ORT throughput before/after at these batch sizes (default [1, 64]; `false` skips it). A text classifier is timed on token ids from `data`, so without `data` it is not timed (`throughput: null`). */
  throughput?: false | readonly number[];
  /** Read ORT's optimised graph of the result to report fused int8 kernels (default true). */
  fused?: boolean;
  seed?: number;
  onEvent?: (event: QuantizeEvent) => void;
  signal?: AbortSignal;
}

/** What `quantize` did and measured. */
export interface QuantizeReport {
  mode: QuantizeMode;
  /** Calibration method (static only). */
  calibration: string | null;
  calibrationSamples: number | null;
  perChannel: boolean;
  /** The opset the model was upgraded from (null when it was already new enough). */
  opsetUpgradedFrom: number | null;
  accuracy: { before: number; after: number } | null;
  bytes: { before: ModelBytes; after: ModelBytes };
  throughput: ThroughputRow[] | null;
  quantized: QuantizedNode[];
  skipped: SkippedNode[];
  /** ORT's optimised graph of the quantized model (null when not read). */
  fused: FusedGraph | null;
  /** fp16: initializer values clamped to ±65504. */
  clamped: number | null;
  sensitivity: LayerSensitivity[] | null;
}

/** The result of `quantize`: the quantized model (not written anywhere) and its report. */
export interface QuantizeResult {
  model: ModelProto;
  bytes: Uint8Array;
  report: QuantizeReport;
}

function splits(data: Dataset | DatasetSplits | undefined): { calibration: Dataset | undefined; evaluation: Dataset | undefined } {
  if (!data) return { calibration: undefined, evaluation: undefined };
  if ('train' in data && 'test' in data) return { calibration: data.train, evaluation: data.test };
  return { calibration: data as Dataset, evaluation: data as Dataset };
}

async function readModel(source: ModelProto | Uint8Array | string, file: string): Promise<{ proto: ModelProto; bytes: Uint8Array }> {
  if (typeof source === 'string') {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(source);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new OnnxFormatError(file, code === 'ENOENT' ? 'no such file' : `cannot be read (${(error as Error).message})`, { cause: error });
    }
    return { proto: decodeOnnx(bytes, { name: file }), bytes };
  }
  if (source instanceof Uint8Array) return { proto: decodeOnnx(source, { name: file }), bytes: source };
  return { proto: source, bytes: encodeOnnx(source) };
}

/** The first `count` examples of a dataset (token ids to time a text classifier on). */
async function exampleRows(data: Dataset, count: number): Promise<Tensor> {
  return data.read(Int32Array.from({ length: Math.min(count, data.size) }, (_, i) => i));
}

/** `static` for graphs with a Conv, else `dynamic` (MLPs and transformer-style graphs). */
export function defaultMode(model: ModelProto): QuantizeMode {
  return model.graph.node.some((n) => n.opType === 'Conv') ? 'static' : 'dynamic';
}

/**
 * Quantizes an ONNX model: `static` int8 QDQ with activation ranges calibrated on the data, `dynamic`
 * int8 MatMul/Gemm, or `fp16`. Validates everything (ORT loads the model, opset, data shape and class
 * count) before any long work; returns the new model and a report (accuracy, size, ORT throughput and
 * fused kernels before/after, what was quantized and what stayed float and why). Writes nothing.
 * Text classifiers (inputs `input_ids`/`attention_mask`/`token_type_ids`) are calibrated, scored and
 * timed on the data's int32 token ids, with `attention_mask = ids != padId`.
 *
 * @example
 * const { model, report } = await quantize({ model: 'cnn.onnx', data: { train, test }, mode: 'static', calibration: 'percentile' });
 * await saveOnnx(model, 'cnn.int8.onnx');
 * @throws OnnxFormatError (ORT cannot load the file), OpsetTooOldError, CalibrationDataError, ConfigError.
 */
export async function quantize(options: QuantizeOptions): Promise<QuantizeResult> {
  const file = options.file ?? (typeof options.model === 'string' ? options.model : '<model>');
  const { proto: original, bytes: originalBytes } = await readModel(options.model, file);
  const { calibration: calibrationData, evaluation } = splits(options.data);
  const mode = options.mode ?? defaultMode(original);
  if (!['static', 'dynamic', 'fp16'].includes(mode)) throw new ConfigError('mode', `expected static, dynamic or fp16, got "${mode}"`);
  const method = mode === 'static' ? (typeof options.calibration === 'object' ? options.calibration : calibrationMethods.get(options.calibration ?? 'minmax')) : undefined;
  const samples = options.calibrationSamples ?? 512;
  if (!Number.isInteger(samples) || samples < 1) throw new ConfigError('calibrationSamples', `expected a positive integer, got ${samples}`);
  const perChannel = options.perChannel ?? true;
  const exclude = options.exclude ?? [];
  // Checks before any long work: ORT loads the float model, the opset, the data.
  await (await openSession(originalBytes, file)).release();
  const { model: float, upgradedFrom } = mode === 'fp16' ? { model: original, upgradedFrom: null } : ensureOpset(original, mode === 'static' ? QDQ_OPSET : 11, file);
  if (mode === 'static' && !calibrationData) throw new ConfigError('data', 'static quantization needs calibration data');
  const padId = options.padId ?? 0;
  if (calibrationData) checkData(float, file, calibrationData, padId);
  if (evaluation && evaluation !== calibrationData) checkData(float, file, evaluation, padId);
  const knownNodes = new Set(float.graph.node.flatMap((n, i) => [nodeLabel(n, i), n.opType]));
  for (const e of exclude) if (!knownNodes.has(e)) throw new ConfigError('exclude', `${file} has no node or op type "${e}"`);

  let quantizedModel: ModelProto;
  let quantized: QuantizedNode[];
  let skipped: SkippedNode[];
  let clamped: number | null = null;
  let onlyNode: ((node: string) => ModelProto) | undefined;
  let layers: { node: string; opType: string }[] = [];
  const opTypeOf = new Map(float.graph.node.map((n, i) => [nodeLabel(n, i), n.opType] as const));
  const gather = options.gather ?? true;
  if (mode === 'static') {
    const tensorsOf = (p: ReturnType<typeof planStatic>): string[] => [...p.activations, ...p.shared.keys()];
    const collect = (tensors: string[]) =>
      collectRanges(float, tensors, calibrationData!, {
        file,
        method: method!,
        samples,
        seed: options.seed ?? 0,
        padId,
        signal: options.signal,
        onProgress: (done, total) => options.onEvent?.({ type: 'calibrate', done, total }),
      });
    let plan = planStatic(float, { perChannel, exclude, gather });
    let sensitivityPlan = planStatic(float, { perChannel, gather });
    let tensors = [...new Set([...tensorsOf(plan), ...(options.sensitivity ? tensorsOf(sensitivityPlan) : [])])];
    const ranges = await collect(tensors);
    // Tensors that turned out not to be float32 (index arithmetic of exported transformers): plan again
    // without the nodes touching them, and calibrate what the new plan adds (until nothing is new).
    const nonFloat = new Set<string>();
    for (let round = 0; round < 4; round++) {
      for (const t of tensors) if (!ranges.has(t)) nonFloat.add(t);
      if (nonFloat.size === 0) break;
      plan = planStatic(float, { perChannel, exclude, gather, nonFloat });
      sensitivityPlan = planStatic(float, { perChannel, gather, nonFloat });
      tensors = [...new Set([...tensorsOf(plan), ...(options.sensitivity ? tensorsOf(sensitivityPlan) : [])])].filter((t) => !ranges.has(t) && !nonFloat.has(t));
      if (tensors.length === 0) break;
      for (const [t, r] of await collect(tensors)) ranges.set(t, r);
    }
    const finalPlan = plan;
    quantizedModel = applyStatic(float, finalPlan, ranges);
    quantized = finalPlan.quantized;
    skipped = finalPlan.skipped;
    onlyNode = (node) => applyStatic(float, planStatic(float, { perChannel, gather, nonFloat, only: new Set([node]) }), ranges);
    layers = quantizableNodes(float, { perChannel, gather, nonFloat }).map((node) => ({ node, opType: opTypeOf.get(node) ?? '' }));
  } else if (mode === 'dynamic') {
    const r = applyDynamic(float, { perChannel, exclude, gather });
    quantizedModel = r.model;
    quantized = r.quantized;
    skipped = r.skipped;
    onlyNode = (node) => applyDynamic(float, { perChannel, gather, only: new Set([node]) }).model;
    layers = applyDynamic(float, { perChannel, gather }).quantized.map((q) => ({ node: q.node, opType: q.opType }));
  } else {
    const r = applyFp16(float, { exclude });
    quantizedModel = r.model;
    quantized = r.quantized;
    skipped = r.skipped;
    clamped = r.clamped;
  }
  const bytes = encodeOnnx(quantizedModel);
  // The result must load in ORT (a failure here is a bug, reported with the file name).
  await (await openSession(bytes, `${file} (quantized)`)).release();

  let accuracy: QuantizeReport['accuracy'] = null;
  if (evaluation && options.evaluate !== false) {
    const score = async (b: Uint8Array, which: 'before' | 'after') => {
      options.onEvent?.({ type: 'evaluate', model: which });
      const m = await openScoringModel(b, { name: `${file} (${which})`, padId });
      try {
        return (await evaluateModel(m, evaluation, { batchSize: 256, signal: options.signal })).accuracy;
      } finally {
        await m.dispose();
      }
    };
    accuracy = { before: await score(originalBytes, 'before'), after: await score(bytes, 'after') };
  }
  let throughput: ThroughputRow[] | null = null;
  const timingData = evaluation ?? calibrationData;
  // A text classifier is timed on real token ids; without data there are none, so it is not timed.
  const timeable = !isTextGraph(float) || timingData !== undefined;
  if (options.throughput !== false && timeable) {
    options.onEvent?.({ type: 'throughput' });
    const examples = timingData && isTextGraph(float) ? await exampleRows(timingData, 64) : undefined;
    throughput = await compareThroughput(originalBytes, bytes, { batchSizes: options.throughput ?? [1, 64], padId, ...(examples ? { examples } : {}), signal: options.signal });
  }
  const fused = options.fused === false ? null : await fusedGraph(bytes, file);
  let sensitivity: LayerSensitivity[] | null = null;
  if (options.sensitivity && onlyNode && evaluation) {
    const count = typeof options.sensitivity === 'number' ? options.sensitivity : 1000;
    const subset = calibrationSubset(evaluation, count, (options.seed ?? 0) + 1);
    sensitivity = await layerSensitivity(float, layers, onlyNode, subset, {
      padId,
      signal: options.signal,
      onProgress: (done, total, node) => options.onEvent?.({ type: 'sensitivity', done, total, node }),
    });
  }
  const report: QuantizeReport = {
    mode,
    calibration: method?.name ?? null,
    calibrationSamples: mode === 'static' ? Math.min(samples, calibrationData?.size ?? samples) : null,
    perChannel: mode === 'fp16' ? false : perChannel,
    opsetUpgradedFrom: upgradedFrom,
    accuracy,
    bytes: { before: modelBytes(originalBytes), after: modelBytes(bytes) },
    throughput,
    quantized,
    skipped,
    fused,
    clamped,
    sensitivity,
  };
  options.onEvent?.({ type: 'done', report });
  return { model: quantizedModel, bytes, report };
}
