import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@shrinkray/tensor-core';
import { OnnxFormatError } from './errors/onnx-format-error.js';
import { modelProtoType } from './proto.js';
import { defaultTensorLimits, type TensorLimits, validateTensorProto } from './tensor-proto.js';
import type { AttributeProto, GraphProto, ModelProto } from './types.js';

/** Options for reading ONNX models. */
export interface LoadOptions {
  /** Name used in error messages when bytes are given (default `<bytes>`). */
  name?: string;
  /** Largest tensor accepted, in bytes (default 1 GiB); larger claims are refused before allocation. */
  maxTensorBytes?: number;
}

/** Largest file `loadOnnx` reads (protobuf's own 2 GiB limit). */
const maxFileBytes = 2 ** 31 - 1;

function validateGraph(graph: GraphProto, file: string, limits: TensorLimits, where: string, depth: number): void {
  if (depth > 16) throw new OnnxFormatError(file, `${where}: subgraphs nested more than 16 deep`);
  for (const key of ['node', 'initializer', 'input', 'output'] as const) {
    if (!Array.isArray(graph[key])) (graph as unknown as Record<string, unknown[]>)[key] = [];
  }
  const known = new Set<string>();
  for (const [i, t] of graph.initializer.entries()) {
    validateTensorProto(t, file, `${where} initializer #${i}`, limits);
    if (!t.name) throw new OnnxFormatError(file, `${where} initializer #${i} has no name`);
    known.add(t.name);
  }
  for (const [i, v] of graph.input.entries()) {
    if (!v.name) throw new OnnxFormatError(file, `${where} input #${i} has no name`);
    known.add(v.name);
  }
  for (const [i, v] of graph.output.entries()) {
    if (!v.name) throw new OnnxFormatError(file, `${where} output #${i} has no name`);
  }
  for (const [i, node] of graph.node.entries()) {
    node.input ??= [];
    node.output ??= [];
    const label = `node #${i}${node.name ? ` '${node.name}'` : ''}`;
    if (!node.opType) throw new OnnxFormatError(file, `${where} ${label} has no op_type`);
    for (const a of node.attribute ?? ([] as AttributeProto[])) {
      if (!a.name) throw new OnnxFormatError(file, `${where} ${label} (${node.opType}) has an attribute without a name`);
      if (a.t) validateTensorProto(a.t, file, `${label} attribute ${a.name}`, limits);
      for (const t of a.tensors ?? []) validateTensorProto(t, file, `${label} attribute ${a.name}`, limits);
      if (a.g) validateGraph(a.g, file, limits, `${label} attribute ${a.name}`, depth + 1);
      for (const g of a.graphs ?? []) validateGraph(g, file, limits, `${label} attribute ${a.name}`, depth + 1);
    }
    if (depth === 0) {
      for (const input of node.input) {
        if (input !== '' && !known.has(input)) {
          throw new OnnxFormatError(file, `${label} (${node.opType}) reads '${input}', which no earlier node, input or initializer defines`);
        }
      }
    }
    for (const output of node.output) if (output !== '') known.add(output);
  }
  if (depth === 0) {
    for (const v of graph.output) {
      if (!known.has(v.name)) throw new OnnxFormatError(file, `graph output '${v.name}' is not produced by any node, input or initializer`);
    }
  }
}

/**
 * Checks a decoded model's structure: a graph, opset imports, named and well-formed tensors whose
 * stored data matches their shape (within the size limit), topologically sorted nodes.
 */
export function validateModel(model: ModelProto, file = '<model>', options: LoadOptions = {}): void {
  const limits: TensorLimits = { maxTensorBytes: options.maxTensorBytes ?? defaultTensorLimits.maxTensorBytes };
  if (!model.graph) throw new OnnxFormatError(file, 'no graph (ModelProto.graph is missing)');
  if (!Array.isArray(model.opsetImport) || model.opsetImport.length === 0) throw new OnnxFormatError(file, 'no opset_import');
  for (const o of model.opsetImport) {
    if (!Number.isSafeInteger(o.version) || o.version < 1) throw new OnnxFormatError(file, `opset_import for domain '${o.domain ?? ''}' has invalid version ${o.version}`);
  }
  validateGraph(model.graph, file, limits, 'graph', 0);
}

/**
 * Parses ONNX bytes into a `ModelProto` and validates it. Every failure (truncated file, bad
 * wire data, impossible tensors) is an `OnnxFormatError` naming `options.name`.
 */
export function decodeOnnx(bytes: Uint8Array, options: LoadOptions = {}): ModelProto {
  const file = options.name ?? '<bytes>';
  if (bytes.length === 0) throw new OnnxFormatError(file, 'empty file');
  const type = modelProtoType();
  let model: ModelProto;
  try {
    const message = type.decode(bytes);
    model = type.toObject(message, { longs: Number, enums: Number, arrays: true, defaults: false }) as ModelProto;
  } catch (error) {
    throw new OnnxFormatError(file, `not a valid ONNX protobuf (${(error as Error).message ?? String(error)})`, { cause: error });
  }
  validateModel(model, file, options);
  return model;
}

/** Serialises a `ModelProto` to ONNX bytes. */
export function encodeOnnx(model: ModelProto): Uint8Array {
  const type = modelProtoType();
  const out = type.encode(type.fromObject(model)).finish();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Reads an ONNX model from a file path or from bytes, and validates it.
 *
 * @example
 * const model = await loadOnnx('teacher.onnx');
 * console.log(model.graph.node.length);
 */
export async function loadOnnx(source: string | Uint8Array, options: LoadOptions = {}): Promise<ModelProto> {
  if (typeof source !== 'string') return decodeOnnx(source, options);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new OnnxFormatError(source, code === 'ENOENT' ? 'no such file' : `cannot be read (${(error as Error).message})`, { cause: error });
  }
  if (bytes.length > maxFileBytes) throw new OnnxFormatError(source, `file of ${bytes.length} bytes is over protobuf's 2 GiB limit`);
  return decodeOnnx(bytes, { ...options, name: options.name ?? source });
}

/**
 * The one ONNX writer: a model (or its already encoded bytes) to `file` atomically (temp file +
 * rename). Returns the bytes written.
 */
export async function saveOnnx(model: ModelProto | Uint8Array, file: string): Promise<Uint8Array> {
  const bytes = model instanceof Uint8Array ? model : encodeOnnx(model);
  await writeFileAtomic(file, bytes);
  return bytes;
}
