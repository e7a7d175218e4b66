import { attr, DataType, encodeOnnx, exportTfjs, type ModelProto, mergeGraphs, type NodeProto, OnnxModel, type OnnxModelOptions, OnnxTextModel, OUTPUT_KIND_METADATA_KEY, runtimeInputs, saveOnnx, shapeOf, tensorToProto, valueInfo } from '@shrinkray/onnx-io';
import { adaptInput, type DeclaredShape, type ExampleDType, formatShape, MIN_PROBABILITY, type Model, sizeOf, Tensor, TfjsModel } from '@shrinkray/tensor-core';
import type { FittedAggregator } from './aggregators/types.js';
import type { Ensemble } from './ensemble.js';
import { EnsembleServingError } from './errors/serving-error.js';
import { type MergeTextOptions, mergeTextMembers } from './onnx/merge-text.js';
import { fragmentToProto } from './onnx/to-proto.js';

/** How an ensemble is served by ONNX Runtime. */
export type ServingMode = 'sessions' | 'fused';

/** Options of `serveEnsemble`. */
export interface ServeOptions {
  /** `sessions`: one ORT session per member, run concurrently, combined in JS. `fused`: one graph, one session. */
  readonly mode: ServingMode;
  /** Session options for every session (threads, optimisation level, batch size). */
  readonly session?: Omit<OnnxModelOptions, 'name' | 'outputKind'>;
  /** Turns a member that is not an ONNX model into one; tfjs members use onnx-io's `exportTfjs` by default. */
  readonly exportMember?: (member: Model) => Promise<ModelProto>;
  /**
   * Text members: the pad token id, from which `attention_mask` (`ids != padId`) is fed to graphs
   * that read one. Default: the first `OnnxTextModel` member's, else 0.
   */
  readonly padId?: number;
  /** Text members, fused graph: the type of its integer inputs (default INT64 when a member reads INT64, else INT32). */
  readonly tokenIds?: 'int32' | 'int64';
}

/** An ensemble running in ONNX Runtime. */
export interface EnsembleServer {
  readonly mode: ServingMode;
  /** The declared input shape data is adapted to (the first member's). */
  readonly inputShape: DeclaredShape;
  readonly numClasses: number;
  /**
   * Ensemble probabilities `[N, C]` for a float32 batch (NHWC, flat, or the first member's layout),
   * or for int32 token ids `[N, L]` when the members are text models.
   */
  run(x: Tensor<ExampleDType>): Promise<Tensor<'float32'>>;
  /** The fused ONNX model (fused mode only). */
  readonly fusedModel: ModelProto | undefined;
  dispose(): Promise<void>;
}

/** Name of the fused graph's probabilities output (`[N, C]` float32). */
export const fusedProbabilitiesOutput = 'probabilities';
/** Name of the fused graph's predicted-class output (`[N]` int64). */
export const fusedLabelOutput = 'label';

function outputKindOf(member: Model): 'logits' | 'probabilities' {
  const kind = (member as { outputKind?: unknown }).outputKind;
  return kind === 'probabilities' ? 'probabilities' : 'logits';
}

/**
 * A member as an ONNX `ModelProto`: an onnx-io `OnnxModel`'s or `OnnxTextModel`'s own graph, a tfjs member exported with
 * `exportTfjs`, or whatever `exportMember` returns.
 */
export async function memberToOnnx(member: Model, exportMember?: (member: Model) => Promise<ModelProto>): Promise<ModelProto> {
  if (member instanceof OnnxModel || member instanceof OnnxTextModel) return member.proto;
  if (exportMember) return exportMember(member);
  if (member instanceof TfjsModel) {
    try {
      return await exportTfjs(member.layersModel);
    } catch (error) {
      throw new EnsembleServingError('onnx', `member ${member.name} cannot be exported to ONNX: ${(error as Error).message}`, { cause: error });
    }
  }
  throw new EnsembleServingError('onnx', `member ${member.name} is neither an OnnxModel nor a TfjsModel; pass exportMember to convert it`);
}

/**
 * Nodes that turn data in the fused input's layout into a member's declared layout: nothing when the
 * shapes agree, a Reshape when only the view changes (flat <-> image, or single-channel NHWC <-> NCHW),
 * or a Transpose for multi-channel NHWC -> NCHW.
 */
function layoutNodes(from: DeclaredShape, to: DeclaredShape, input: string, output: string, prefix: string): { nodes: NodeProto[]; initializers: ReturnType<typeof tensorToProto>[] } | undefined {
  const fixed = (s: DeclaredShape) => s.slice(1).every((d) => typeof d === 'number');
  const same = from.length === to.length && from.every((d, i) => i === 0 || typeof d !== 'number' || typeof to[i] !== 'number' || d === to[i]);
  if (same) return undefined;
  if (!fixed(from) || !fixed(to)) throw new EnsembleServingError('fused', `cannot map input ${formatShape(from)} to ${formatShape(to)} with symbolic dimensions`);
  const src = from.slice(1) as number[];
  const dst = to.slice(1) as number[];
  if (sizeOf(src) !== sizeOf(dst)) throw new EnsembleServingError('fused', `cannot map input ${formatShape(from)} to ${formatShape(to)}`);
  if (src.length === 3 && dst.length === 3 && src[2]! > 1 && src[2] === dst[0] && src[0] === dst[1] && src[1] === dst[2]) {
    return { nodes: [{ name: `${prefix}to_nchw`, opType: 'Transpose', input: [input], output: [output], attribute: [attr.ints('perm', [0, 3, 1, 2])] }], initializers: [] };
  }
  if (src.length === 3 && dst.length === 3 && dst[2]! > 1 && dst[2] === src[0] && dst[0] === src[1] && dst[1] === src[2]) {
    return { nodes: [{ name: `${prefix}to_nhwc`, opType: 'Transpose', input: [input], output: [output], attribute: [attr.ints('perm', [0, 2, 3, 1])] }], initializers: [] };
  }
  const shapeName = `${prefix}target_shape`;
  return {
    nodes: [{ name: `${prefix}reshape`, opType: 'Reshape', input: [input, shapeName], output: [output], attribute: [] }],
    initializers: [tensorToProto(shapeName, new Tensor('int64', [dst.length + 1], BigInt64Array.from([-1, ...dst].map(BigInt))))],
  };
}

/** Rewrites a member so it reads `sharedShape` input (adding a layout node in front when needed). */
function withInputShape(model: ModelProto, sharedShape: DeclaredShape, prefix: string): ModelProto {
  const input = runtimeInputs(model.graph)[0];
  if (!input) throw new EnsembleServingError('fused', `member graph ${model.graph.name ?? ''} has no runtime input`);
  const own = (shapeOf(input) ?? []).map((d, i) => (i === 0 ? null : d));
  const adapted = `${input.name}__member_layout`;
  const extra = layoutNodes(sharedShape, own, input.name, adapted, prefix);
  if (!extra) return model;
  const graph = structuredClone(model.graph);
  for (const n of graph.node) n.input = n.input.map((name) => (name === input.name ? adapted : name));
  for (const o of graph.output) if (o.name === input.name) throw new EnsembleServingError('fused', 'a member graph outputs its own input');
  graph.node.unshift(...extra.nodes);
  graph.initializer.push(...extra.initializers);
  graph.input = graph.input.map((v) => (v.name === input.name ? valueInfo(input.name, 'float32', ['N', ...sharedShape.slice(1)]) : v));
  return { ...model, graph };
}

/**
 * Builds the fused ONNX model: every member's graph (prefixed `m0_`, `m1_`, …) fed by one shared
 * input, each member's output turned into logits (`Log(Max(p, 1e-30))` for members that end in
 * Softmax), then the aggregator's nodes. Outputs: `probabilities` `[N, C]` float32 and `label` `[N]`
 * int64 (ArgMax). Opset: the highest of the members' and the aggregator's.
 */
export function buildFusedModel(
  members: readonly { proto: ModelProto; outputKind: 'logits' | 'probabilities' }[],
  aggregator: FittedAggregator,
  sharedInputShape: DeclaredShape,
  numClasses: number,
  options: MergeTextOptions = {},
): ModelProto {
  if (!aggregator.toOnnx) throw new EnsembleServingError('fused', `aggregator "${aggregator.name}" has no ONNX form; serve it in sessions mode`);
  const merged = readsTokens(members[0]?.proto) ? mergeTextMembers(members.map((m) => m.proto), options).model : mergeFeatureMembers(members, sharedInputShape);
  const nodes: NodeProto[] = [];
  const initializers: ReturnType<typeof tensorToProto>[] = [];
  const memberLogits = merged.graph.output.map((o, i) => {
    if (members[i]!.outputKind === 'logits') return o.name;
    const floor = `ens_m${i}_floor`;
    initializers.push(tensorToProto(floor, new Tensor('float32', [], Float32Array.of(MIN_PROBABILITY))));
    nodes.push({ name: `ens_m${i}_clamp`, opType: 'Max', input: [o.name, floor], output: [`ens_m${i}_clamped`], attribute: [] });
    nodes.push({ name: `ens_m${i}_log`, opType: 'Log', input: [`ens_m${i}_clamped`], output: [`ens_m${i}_logits`], attribute: [] });
    return `ens_m${i}_logits`;
  });
  const fragment = aggregator.toOnnx({ memberLogits, output: fusedProbabilitiesOutput, numClasses, prefix: 'agg_' });
  const converted = fragmentToProto(fragment);
  nodes.push(...converted.nodes);
  initializers.push(...converted.initializers);
  nodes.push({ name: 'ens_argmax', opType: 'ArgMax', input: [fusedProbabilitiesOutput], output: [fusedLabelOutput], attribute: [attr.int('axis', 1), attr.int('keepdims', 0)] });
  merged.graph.node.push(...nodes);
  merged.graph.initializer.push(...initializers);
  merged.graph.output = [valueInfo(fusedProbabilitiesOutput, 'float32', ['N', numClasses]), valueInfo(fusedLabelOutput, 'int64', ['N'])];
  const opset = Math.max(fragment.minOpset, ...merged.opsetImport.filter((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx').map((o) => o.version));
  merged.opsetImport = [{ domain: '', version: opset }];
  merged.docString = `shrinkray ensemble of ${members.length} members, aggregator ${aggregator.name}`;
  merged.metadataProps = [{ key: OUTPUT_KIND_METADATA_KEY, value: 'probabilities' }];
  return merged;
}

/** True when a member graph's first runtime input is integer (token ids). */
function readsTokens(model: ModelProto | undefined): boolean {
  const elem = model ? runtimeInputs(model.graph)[0]?.type?.tensorType?.elemType : undefined;
  return elem === DataType.INT32 || elem === DataType.INT64;
}

/** Feature members merged on one float32 `input` (a layout node in front of members that need one). */
function mergeFeatureMembers(members: readonly { proto: ModelProto }[], sharedInputShape: DeclaredShape): ModelProto {
  const prepared = members.map((m, i) => {
    const outputs = m.proto.graph.output;
    if (outputs.length !== 1) throw new EnsembleServingError('fused', `member ${i} has ${outputs.length} outputs; expected one`);
    return withInputShape(m.proto, sharedInputShape, `m${i}_`);
  });
  const merged = mergeGraphs(prepared, { inputName: 'input', name: 'shrinkray_ensemble' });
  merged.graph.input = [valueInfo('input', 'float32', ['N', ...sharedInputShape.slice(1)])];
  return merged;
}

/** The fused ONNX model of an ensemble (members exported to ONNX where needed). */
export async function fuseEnsemble(ensemble: Ensemble, options: Pick<ServeOptions, 'exportMember' | 'tokenIds'> = {}): Promise<ModelProto> {
  ensemble.requireSharedInput('fused');
  const members = await Promise.all(ensemble.members.map(async (m) => ({ proto: await memberToOnnx(m, options.exportMember), outputKind: outputKindOf(m) })));
  return buildFusedModel(members, ensemble.aggregator, ensemble.signature.inputShape, ensemble.numClasses, options.tokenIds ? { tokenIds: options.tokenIds } : {});
}

/** Writes the fused ONNX model to `file` atomically; returns the model and its size in bytes. */
export async function saveFusedEnsemble(ensemble: Ensemble, file: string, options: Pick<ServeOptions, 'exportMember' | 'tokenIds'> = {}): Promise<{ model: ModelProto; bytes: number }> {
  const model = await fuseEnsemble(ensemble, options);
  const bytes = await saveOnnx(model, file);
  return { model, bytes: bytes.length };
}

/**
 * Serves an ensemble through ONNX Runtime. `sessions`: one session per member (tfjs members are
 * exported to ONNX first), all run concurrently on each batch, then the aggregator combines their
 * logits in JS. `fused`: one ONNX graph holding every member and the aggregator, one session.
 * Both give the same probabilities (within float32 rounding; tested to 1e-5).
 *
 * @example
 * const server = await serveEnsemble(ensemble, { mode: 'fused' });
 * const probabilities = await server.run(x);
 * await server.dispose();
 */
export async function serveEnsemble(ensemble: Ensemble, options: ServeOptions): Promise<EnsembleServer> {
  ensemble.requireSharedInput(String(options.mode));
  const session = options.session ?? {};
  const inputShape = ensemble.signature.inputShape;
  const numClasses = ensemble.numClasses;
  const text = ensemble.signature.input === 'tokens';
  const padId = options.padId ?? ensemble.members.find((m): m is OnnxTextModel => m instanceof OnnxTextModel)?.padId ?? 0;
  /** One ORT session: token members behind `OnnxTextModel` (integer inputs), feature members behind `OnnxModel`. */
  const open = (proto: ModelProto, name: string, outputKind: 'logits' | 'probabilities'): Promise<OnnxModel | OnnxTextModel> => {
    if (!text) return OnnxModel.create(encodeOnnx(proto), { ...session, name, outputKind });
    const { worker: _worker, ...textSession } = session;
    return OnnxTextModel.create(encodeOnnx(proto), { ...textSession, name, padId, outputKind });
  };
  if (options.mode === 'fused') {
    const fusedModel = await fuseEnsemble(ensemble, options);
    const model = await open(fusedModel, 'ensemble (fused)', 'probabilities');
    return {
      mode: 'fused',
      inputShape,
      numClasses,
      fusedModel,
      run: (x) => model.run(x),
      dispose: () => model.dispose(),
    };
  }
  if (options.mode !== 'sessions') throw new EnsembleServingError(String(options.mode), 'unknown mode; expected sessions or fused');
  // One at a time, so that a member failing to open leaves no session of the others behind.
  const sessions: Awaited<ReturnType<typeof open>>[] = [];
  try {
    for (const m of ensemble.members) sessions.push(await open(await memberToOnnx(m, options.exportMember), m.name, outputKindOf(m)));
  } catch (error) {
    await Promise.all(sessions.map((s) => s.dispose()));
    throw error;
  }
  return {
    mode: 'sessions',
    inputShape,
    numClasses,
    fusedModel: undefined,
    async run(x) {
      const logits = await Promise.all(sessions.map((s) => (s instanceof OnnxTextModel ? s.predict(x) : s.predict(adaptInput(x as Tensor<'float32'>, [null, ...s.inputShape.slice(1)], `${s.name} input`)))));
      return ensemble.aggregator.combine(logits);
    },
    async dispose() {
      await Promise.all(sessions.map((s) => s.dispose()));
    },
  };
}
