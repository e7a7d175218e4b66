import { ConfigError, formatShape, ShapeMismatchError } from '@shrinkray/tensor-core';
import { shapeOf } from './builder.js';
import type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto } from './types.js';

function initializerNames(graph: GraphProto): Set<string> {
  return new Set(graph.initializer.map((t) => t.name ?? ''));
}

/** The graph inputs that are fed at run time (not initializers listed as inputs, as old exporters did). */
export function runtimeInputs(graph: GraphProto): ValueInfoProto[] {
  const inits = initializerNames(graph);
  return graph.input.filter((v) => !inits.has(v.name));
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Renames every value, node and initializer of a graph by prepending `prefix`, except the names in
 * `keep` (e.g. a shared input). Returns a new graph; the original is not changed. Subgraph
 * attributes are renamed too, so references to outer values stay consistent.
 */
export function prefixRename(graph: GraphProto, prefix: string, options: { keep?: Iterable<string> } = {}): GraphProto {
  const keep = new Set(options.keep ?? []);
  const rename = (name: string): string => (name === '' || keep.has(name) ? name : `${prefix}${name}`);
  const renameGraph = (g: GraphProto): GraphProto => ({
    ...g,
    name: g.name ? `${prefix}${g.name}` : g.name,
    node: g.node.map((n) => renameNode(n)),
    initializer: g.initializer.map((t) => ({ ...t, name: rename(t.name ?? '') })),
    input: g.input.map((v) => ({ ...v, name: rename(v.name) })),
    output: g.output.map((v) => ({ ...v, name: rename(v.name) })),
    valueInfo: g.valueInfo?.map((v) => ({ ...v, name: rename(v.name) })),
  });
  const renameAttr = (a: AttributeProto): AttributeProto => ({
    ...a,
    ...(a.g ? { g: renameGraph(a.g) } : {}),
    ...(a.graphs ? { graphs: a.graphs.map(renameGraph) } : {}),
  });
  const renameNode = (n: NodeProto): NodeProto => ({
    ...n,
    name: n.name ? `${prefix}${n.name}` : n.name,
    input: n.input.map(rename),
    output: n.output.map(rename),
    attribute: n.attribute?.map(renameAttr),
  });
  return renameGraph(clone(graph));
}

/**
 * The part of a model that computes `outputs` from `inputs`: the nodes on the way, the initializers
 * they read, and value infos for the new inputs/outputs (taken from the graph where declared).
 * Throws `ConfigError` when an output depends on a value that is neither reachable nor an input.
 */
export function extractSubgraph(model: ModelProto, inputs: readonly string[], outputs: readonly string[]): ModelProto {
  const graph = model.graph;
  const producer = new Map<string, NodeProto>();
  for (const n of graph.node) for (const o of n.output) producer.set(o, n);
  const inits = new Map(graph.initializer.map((t) => [t.name ?? '', t] as const));
  const infos = new Map<string, ValueInfoProto>();
  for (const v of [...graph.input, ...(graph.valueInfo ?? []), ...graph.output]) infos.set(v.name, v);
  const stop = new Set(inputs);
  const needed = new Set<NodeProto>();
  const usedInits = new Set<string>();
  const stack = [...outputs];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name) || name === '') continue;
    seen.add(name);
    if (stop.has(name)) continue;
    if (inits.has(name)) {
      usedInits.add(name);
      continue;
    }
    const node = producer.get(name);
    if (!node) throw new ConfigError('extractSubgraph', `value '${name}' is needed but is not produced by any node and is not among the inputs [${inputs.join(', ')}]`);
    needed.add(node);
    stack.push(...node.input);
  }
  const info = (name: string): ValueInfoProto => clone(infos.get(name) ?? { name, type: { tensorType: { elemType: 1 } } });
  const sub: GraphProto = {
    name: `${graph.name ?? 'graph'}_sub`,
    node: clone(graph.node.filter((n) => needed.has(n))),
    initializer: clone(graph.initializer.filter((t) => usedInits.has(t.name ?? ''))),
    input: inputs.map(info),
    output: outputs.map(info),
  };
  return { ...clone({ ...model, graph: undefined as unknown as GraphProto }), graph: sub };
}

function defaultOpset(model: ModelProto): number {
  return model.opsetImport.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version ?? 0;
}

/** Options for `mergeGraphs`. */
export interface MergeOptions {
  /** Name of the shared input (default: the first model's input name). */
  inputName?: string;
  /** Prefix per model (default `m0_`, `m1_`, ...). */
  prefixes?: readonly string[];
  /** Graph name of the result. */
  name?: string;
}

/**
 * Merges several single-input models into one graph that feeds the same input to all of them.
 * Each model's values are prefixed (`m0_`, `m1_` ...); the outputs of every model become outputs
 * of the merged graph, in order. The inputs must have the same declared shape (free dims match
 * anything). The merged model imports the highest default-domain opset of its members.
 *
 * @example
 * const fused = mergeGraphs([a, b]); // outputs: m0_logits, m1_logits
 */
export function mergeGraphs(models: readonly ModelProto[], options: MergeOptions = {}): ModelProto {
  if (models.length === 0) throw new ConfigError('mergeGraphs', 'needs at least one model');
  const firstInput = runtimeInputs(models[0]!.graph)[0];
  if (!firstInput) throw new ConfigError('mergeGraphs', 'model 0 has no runtime input');
  const shared = options.inputName ?? firstInput.name;
  const firstShape = shapeOf(firstInput) ?? [];
  const merged: GraphProto = { name: options.name ?? 'merged', node: [], initializer: [], input: [{ ...clone(firstInput), name: shared }], output: [] };
  for (const [i, model] of models.entries()) {
    const inputs = runtimeInputs(model.graph);
    if (inputs.length !== 1) throw new ConfigError(`mergeGraphs model ${i}`, `needs exactly one runtime input, found ${inputs.length}`);
    const input = inputs[0]!;
    const shape = shapeOf(input) ?? [];
    const compatible = shape.length === firstShape.length && shape.every((d, k) => typeof d !== 'number' || typeof firstShape[k] !== 'number' || d === firstShape[k]);
    if (!compatible) {
      throw new ShapeMismatchError({ tensor: `mergeGraphs model ${i} input '${input.name}'`, expected: formatShape(firstShape), found: formatShape(shape) });
    }
    const prefix = options.prefixes?.[i] ?? `m${i}_`;
    const renamed = prefixRename(model.graph, prefix, { keep: [input.name] });
    const swap = (name: string): string => (name === input.name ? shared : name);
    for (const n of renamed.node) {
      n.input = n.input.map(swap);
      merged.node.push(n);
    }
    merged.initializer.push(...renamed.initializer);
    merged.output.push(...renamed.output.map((o) => ({ ...o, name: swap(o.name) })));
    if (renamed.valueInfo) merged.valueInfo = [...(merged.valueInfo ?? []), ...renamed.valueInfo];
  }
  const opset = Math.max(...models.map(defaultOpset));
  const irVersion = Math.max(...models.map((m) => m.irVersion));
  return { irVersion, opsetImport: [{ domain: '', version: opset }], producerName: 'shrinkray', producerVersion: '0.1.0', graph: merged };
}

/**
 * Appends nodes after a model's graph (reading its outputs or any other value), adds the given
 * initializers, and makes `outputs` the new graph outputs. Returns a new model.
 *
 * @example
 * appendNodes(model, [{ opType: 'Softmax', input: ['logits'], output: ['probs'], attribute: [attr.int('axis', -1)] }],
 *   [valueInfo('probs', 'float32', [null, 10])]);
 */
export function appendNodes(model: ModelProto, nodes: readonly NodeProto[], outputs: readonly ValueInfoProto[], initializers: readonly TensorProto[] = []): ModelProto {
  const out = clone(model);
  out.graph.node.push(...clone(nodes));
  out.graph.initializer.push(...clone(initializers));
  out.graph.output = clone([...outputs]);
  return out;
}
