import { initBackend, Registry, type Tensor, tf, tfl } from '@shrinkray/tensor-core';
import { shapeOf } from '../builder.js';
import { OnnxFormatError } from '../errors/onnx-format-error.js';
import { UnsupportedOpError } from '../errors/unsupported-op-error.js';
import { runtimeInputs } from '../graph-utils.js';
import { tensorFromProto } from '../tensor-proto.js';
import type { ModelProto, NodeProto } from '../types.js';
import { clipActivation, clipBounds } from './builtins.js';
import type { ImportContext, ImportValue, OpImporter, PatternImporter } from './types.js';

/**
 * ONNX op importers keyed by op type, on the process-wide `Registry.shared('op-importer')`. Plugins
 * call `opImporters.register(...)`; the package entry point registers `builtinImporters`.
 */
export const opImporters = Registry.shared<OpImporter>('op-importer', 'ONNX op importer');

/**
 * Subgraph importers keyed by name, on the process-wide `Registry.shared('pattern-importer')`, tried
 * before the op importers at nodes of their anchor op type (see `PatternImporter`).
 */
export const patternImporters = Registry.shared<PatternImporter>('pattern-importer', 'ONNX pattern importer');

/** Options for `importOnnx`. */
export interface ImportOptions {
  /** Name of the tfjs model (default: the graph name). */
  name?: string;
  /** File name for messages. */
  file?: string;
}

const nhwc = [0, 2, 3, 1];

function sanitize(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^_+/, '');
  return clean === '' ? 'node' : clean;
}

function isIdentity(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}

/** True when flattening the tfjs tensor gives the ONNX value's flattened order (size-1 axes may move). */
function flatCompatible(value: ImportValue): boolean {
  const order = value.perm.filter((_axis, j) => j === 0 || value.tensor.shape[j] !== 1);
  return order.every((a, i) => i === 0 || a > order[i - 1]!);
}

/**
 * Builds a tfjs LayersModel from an ONNX model (opset 11+; the ops registered in `opImporters`).
 * NCHW image models become tfjs models with NHWC input (`[N,H,W,C]`) and transposed conv weights;
 * a Flatten after convolutions reproduces ONNX's NCHW order. Unsupported ops throw
 * `UnsupportedOpError` naming the op, the node and the supported ops.
 *
 * @example
 * const layersModel = await importOnnx(await loadOnnx('pytorch-cnn.onnx'));
 */
export async function importOnnx(model: ModelProto, options: ImportOptions = {}): Promise<tfl.LayersModel> {
  await initBackend();
  const file = options.file ?? '<model>';
  const graph = model.graph;
  const opset = model.opsetImport.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version ?? 0;
  if (opset < 11) throw new OnnxFormatError(file, `opset ${opset} is older than 11, the oldest shrinkray imports`);
  const constants = new Map<string, Tensor>();
  for (const t of graph.initializer) constants.set(t.name ?? '', tensorFromProto(t, file));
  const values = new Map<string, ImportValue>();
  const consumers = new Map<string, NodeProto[]>();
  const producers = new Map<string, NodeProto>();
  for (const n of graph.node) {
    for (const i of n.input) consumers.set(i, [...(consumers.get(i) ?? []), n]);
    for (const o of n.output) producers.set(o, n);
  }
  const outputs = new Set(graph.output.map((o) => o.name));
  const fused = new Set<NodeProto>();
  const usedNames = new Set<string>();
  const layerName = (base: string): string => {
    let name = sanitize(base);
    for (let k = 1; usedNames.has(name); k++) name = `${sanitize(base)}_${k}`;
    usedNames.add(name);
    return name;
  };
  const permuted = new Map<string, tfl.SymbolicTensor>();
  const withPerm = (value: ImportValue, perm: readonly number[]): tfl.SymbolicTensor => {
    if (value.perm.length !== perm.length) throw new OnnxFormatError(file, `internal: rank ${value.perm.length} value used as rank ${perm.length}`);
    if (value.perm.every((p, i) => p === perm[i])) return value.tensor;
    const key = `${value.tensor.id}:${perm.join(',')}`;
    const cached = permuted.get(key);
    if (cached) return cached;
    const inverse = new Array<number>(perm.length);
    value.perm.forEach((a, j) => {
      inverse[a] = j;
    });
    const q = perm.map((a) => inverse[a]!);
    const out = tfl.layers.permute({ dims: q.slice(1), name: layerName(`permute_${value.tensor.name}`) }).apply(value.tensor) as tfl.SymbolicTensor;
    permuted.set(key, out);
    return out;
  };

  const inputs: tfl.SymbolicTensor[] = [];
  for (const input of runtimeInputs(graph)) {
    const dims = shapeOf(input);
    if (!dims) throw new OnnxFormatError(file, `input '${input.name}' declares no shape`);
    const users = consumers.get(input.name) ?? [];
    const perm = dims.length === 4 && !users.every((u) => u.opType === 'Transpose') ? nhwc : dims.map((_, i) => i);
    const tfShape = perm.slice(1).map((a) => dims[a]);
    if (!tfShape.every((d) => typeof d === 'number')) throw new OnnxFormatError(file, `input '${input.name}' has symbolic dimensions besides the batch: [${dims.join(',')}]`);
    const elem = input.type?.tensorType?.elemType;
    // Integer inputs (token ids) stay int32 in tfjs.
    const dtype = elem === 6 || elem === 7 ? ('int32' as const) : undefined;
    const tensor = tfl.input({ shape: tfShape as number[], name: layerName(input.name), ...(dtype ? { dtype } : {}) });
    inputs.push(tensor);
    values.set(input.name, { tensor, perm });
  }

  for (const [index, node] of graph.node.entries()) {
    if (fused.has(node)) continue;
    const nodeName = node.name ? node.name : `${node.opType} #${index}`;
    const fail = (detail: string): never => {
      throw new UnsupportedOpError({ opType: node.opType, node: nodeName, supported: opImporters.list(), detail });
    };
    if (node.domain && node.domain !== 'ai.onnx') fail(`domain '${node.domain}' is not supported`);
    const patterns = patternImporters.list().map((p) => patternImporters.get(p)).filter((p) => p.anchor === node.opType);
    if (patterns.length === 0 && !opImporters.has(node.opType)) fail('op not supported');
    const inputName = (i: number): string => node.input[i] ?? fail(`has no input ${i}`);
    const ctx: ImportContext = {
      node,
      nodeName,
      opset,
      isConstant: (i) => constants.has(node.input[i] ?? ''),
      constant: (i) => constants.get(inputName(i)) ?? fail(`input ${i} ('${node.input[i]}') must be a constant`),
      constantByName: (name) => constants.get(name),
      constantAttribute() {
        const t = node.attribute?.find((a) => a.name === 'value')?.t;
        return t ? tensorFromProto(t, file) : fail('only the tensor `value` attribute is supported');
      },
      value: (i) => values.get(inputName(i)) ?? fail(`input ${i} ('${node.input[i]}') is not a runtime value`),
      valueByName: (name) => values.get(name),
      withPerm,
      flatOrder(value) {
        if (isIdentity(value.perm) || flatCompatible(value)) return value.tensor;
        return withPerm(value, value.perm.map((_, i) => i));
      },
      set: (name, value) => values.set(name, value),
      setConstant: (name, tensor) => constants.set(name, tensor),
      producer: (name) => producers.get(name),
      consumers: (name) => consumers.get(name) ?? [],
      isGraphOutput: (name) => outputs.has(name),
      fuse: (n) => fused.add(n),
      layerName: (suffix) => layerName(suffix ? `${nodeName}_${suffix}` : nodeName),
      apply(layer, input, weights) {
        let out: tfl.SymbolicTensor;
        try {
          out = layer.apply(input) as tfl.SymbolicTensor;
        } catch (error) {
          return fail(`tfjs cannot build this layer: ${(error as Error).message}`);
        }
        if (weights) {
          const tensors = weights.map((w) => tf.tensor(w.data as Float32Array, [...w.shape], 'float32'));
          layer.setWeights(tensors);
          for (const t of tensors) t.dispose();
        }
        return out;
      },
      fusableActivation(output, rank) {
        const users = consumers.get(output) ?? [];
        const next = users[0];
        if (users.length !== 1 || !next || outputs.has(output)) return { activation: 'linear', output };
        let activation: string | undefined;
        if (next.opType === 'Relu') activation = 'relu';
        else if (next.opType === 'Sigmoid') activation = 'sigmoid';
        else if (next.opType === 'Tanh') activation = 'tanh';
        else if (next.opType === 'Clip') {
          const clipCtx = { ...ctx, node: next, isConstant: (i: number) => constants.has(next.input[i] ?? ''), constant: (i: number) => constants.get(next.input[i] ?? '') ?? fail('Clip bound is not constant') };
          try {
            const [min, max] = clipBounds(clipCtx);
            activation = clipActivation(min, max);
          } catch {
            activation = undefined;
          }
        } else if (next.opType === 'Softmax' && rank === 2) {
          const axis = next.attribute?.find((a) => a.name === 'axis')?.i;
          if (axis === undefined || Number(axis) === 1 || Number(axis) === -1) activation = 'softmax';
        }
        if (!activation) return { activation: 'linear', output };
        fused.add(next);
        return { activation, output: next.output[0]! };
      },
      fail,
    };
    if (patterns.some((p) => p.tryImport(ctx))) continue;
    if (!opImporters.has(node.opType)) fail('op not supported');
    opImporters.get(node.opType).import(ctx);
  }

  const outs: tfl.SymbolicTensor[] = [];
  for (const output of graph.output) {
    const value = values.get(output.name);
    if (!value) throw new OnnxFormatError(file, `graph output '${output.name}' is not a runtime value (constant outputs are not supported)`);
    outs.push(withPerm(value, value.perm.map((_, i) => i)));
  }
  return tfl.model({ inputs, outputs: outs, name: sanitize(options.name ?? graph.name ?? 'imported') });
}
