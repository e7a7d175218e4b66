import { attr, DataType, type ModelProto, type NodeProto, prefixRename, runtimeInputs, shapeOf, type TextInputName, valueInfo } from '@shrinkray/onnx-io';
import { EnsembleServingError } from '../errors/serving-error.js';

/** The text inputs a fused graph may declare, in the order it declares them (Hugging Face names). */
const TEXT_INPUT_ORDER: readonly TextInputName[] = ['input_ids', 'attention_mask', 'token_type_ids'];

/** One input of the fused text graph. */
export interface FusedTextInput {
  readonly name: TextInputName;
  readonly type: 'int32' | 'int64';
}

function memberInputs(model: ModelProto, index: number): { name: TextInputName; type: 'int32' | 'int64'; length: number | null }[] {
  return runtimeInputs(model.graph).map((input) => {
    if (!TEXT_INPUT_ORDER.includes(input.name as TextInputName)) {
      throw new EnsembleServingError('fused', `member ${index} reads '${input.name}'; a text member reads ${TEXT_INPUT_ORDER.join(', ')}`);
    }
    const elem = input.type?.tensorType?.elemType;
    if (elem !== DataType.INT32 && elem !== DataType.INT64) throw new EnsembleServingError('fused', `member ${index} input '${input.name}' is not INT32 or INT64 token ids`);
    const shape = shapeOf(input) ?? [null, null];
    if (shape.length !== 2) throw new EnsembleServingError('fused', `member ${index} input '${input.name}' is not [batch, sequence]`);
    return { name: input.name as TextInputName, type: elem === DataType.INT64 ? 'int64' : 'int32', length: typeof shape[1] === 'number' ? shape[1] : null };
  });
}

/** Options of {@link mergeTextMembers}. */
export interface MergeTextOptions {
  /** The element type of every fused input; default INT64 when any member reads that input as INT64, else INT32. */
  readonly tokenIds?: 'int32' | 'int64';
}

const CAST_TO = { int32: DataType.INT32, int64: DataType.INT64 } as const;

/**
 * Merges text members (graphs reading `input_ids`, and `attention_mask` / `token_type_ids` where they
 * need them, as INT32 or INT64) into one graph: the union of their inputs, each declared INT64 when
 * any member reads it as INT64 or `tokenIds` says so (members reading the other type get a `Cast`),
 * `[N, L]` with the members' fixed `L` (or a free `L`). Each member's nodes are prefixed `m0_`,
 * `m1_`, …; the outputs are the members' first outputs, in member order.
 */
export function mergeTextMembers(models: readonly ModelProto[], options: MergeTextOptions = {}): { model: ModelProto; inputs: FusedTextInput[] } {
  const perMember = models.map(memberInputs);
  let length: number | null = null;
  for (const [k, inputs] of perMember.entries()) {
    for (const i of inputs) {
      if (i.length === null) continue;
      if (length !== null && i.length !== length) throw new EnsembleServingError('fused', `member ${k} input '${i.name}' has ${i.length} tokens per row, an earlier member ${length}`);
      length = i.length;
    }
  }
  const inputs: FusedTextInput[] = TEXT_INPUT_ORDER.filter((name) => perMember.some((m) => m.some((i) => i.name === name))).map((name) => ({
    name,
    type: options.tokenIds ?? (perMember.some((m) => m.some((i) => i.name === name && i.type === 'int64')) ? 'int64' : 'int32'),
  }));
  if (!inputs.some((i) => i.name === 'input_ids')) throw new EnsembleServingError('fused', 'no member reads input_ids');
  const fusedType = new Map(inputs.map((i) => [i.name, i.type]));
  const node: NodeProto[] = [];
  const initializer: ModelProto['graph']['initializer'] = [];
  const output: ModelProto['graph']['output'] = [];
  let valueInfos: ModelProto['graph']['valueInfo'] = [];
  for (const [k, model] of models.entries()) {
    const prefix = `m${k}_`;
    const own = perMember[k]!;
    const renamed = prefixRename(model.graph, prefix, { keep: own.map((i) => i.name) });
    const swaps = new Map<string, string>();
    for (const input of own) {
      if (input.type === fusedType.get(input.name)) continue;
      const cast = `${prefix}${input.name}__${input.type}`;
      node.push({ name: `${prefix}cast_${input.name}`, opType: 'Cast', input: [input.name], output: [cast], attribute: [attr.int('to', CAST_TO[input.type])] });
      swaps.set(input.name, cast);
    }
    for (const n of renamed.node) {
      n.input = n.input.map((name) => swaps.get(name) ?? name);
      node.push(n);
    }
    initializer.push(...renamed.initializer);
    const first = renamed.output[0];
    if (renamed.output.length !== 1 || !first) throw new EnsembleServingError('fused', `member ${k} has ${renamed.output.length} outputs; expected one`);
    if (own.some((i) => i.name === first.name)) throw new EnsembleServingError('fused', `member ${k} outputs its own input`);
    output.push(first);
    if (renamed.valueInfo) valueInfos = [...valueInfos, ...renamed.valueInfo];
  }
  const opset = Math.max(...models.map((m) => m.opsetImport.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version ?? 0));
  const model: ModelProto = {
    irVersion: Math.max(...models.map((m) => m.irVersion)),
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'shrinkray',
    producerVersion: '0.1.0',
    graph: {
      name: 'shrinkray_ensemble',
      node,
      initializer,
      input: inputs.map((i) => valueInfo(i.name, i.type, ['N', length ?? 'L'])),
      output,
      ...(valueInfos.length > 0 ? { valueInfo: valueInfos } : {}),
    },
  };
  return { model, inputs };
}
