import { attr, floatsFromProto, getAttr, type NodeProto, type TensorProto } from '@shrinkray/onnx-io';
import { floatTensor, type GraphIndex, int8Tensor } from './graph.js';
import { quantizeWeight } from './quant-math.js';

/**
 * Why a Gather's table cannot be stored in int8, or `undefined` when it can: the table must be a
 * constant float `[rows, columns]` initializer gathered on axis 0 with more than one column (a lookup
 * of single values, such as a mask table, stays exact in float32), and the user must not have asked
 * for float tables (`gather: false`).
 */
export function gatherTableRefusal(node: NodeProto, index: GraphIndex, options: { gather?: boolean }): string | undefined {
  if (options.gather === false) return 'embedding tables kept float (gather: false)';
  const table = index.initializers.get(node.input[0] ?? '');
  const dims = (table?.dims ?? []).map(Number);
  if (!table || dims.length !== 2 || getAttr.int(node, 'axis', 0) !== 0 || table.dataType !== 1) return 'a Gather of a non-constant or non-float tensor (index arithmetic) runs as it is';
  if (dims[1]! < 2) return 'a lookup of single values (a mask table) stays exact in float32';
  return undefined;
}

/** How {@link int8Table} rewrote one Gather. */
export interface Int8Table {
  /** The int8 table, its scales and zero points. */
  initializers: TensorProto[];
  /** Dequantizes the gathered int8 rows into the Gather's original output; runs right after the Gather. */
  dequantize: NodeProto;
  /** The float table the Gather no longer reads. */
  replaced: string;
}

/**
 * Stores a Gather's embedding table in int8 (symmetric; one scale per column when `perColumn`): the
 * Gather reads the int8 table and writes int8 rows, and a DequantizeLinear (axis -1 per column) turns
 * them into the Gather's original float output. Rewrites `node` in place (check
 * {@link gatherTableRefusal} first).
 */
export function int8Table(node: NodeProto, index: GraphIndex, perColumn: boolean): Int8Table {
  const name = node.input[0]!;
  const t = index.initializers.get(name)!;
  const dims = (t.dims ?? []).map(Number);
  const qw = quantizeWeight(floatsFromProto(t), dims, perColumn ? 1 : undefined);
  const base = index.fresh(`${name}_q`);
  const scale = index.fresh(`${name}_s`);
  const zp = index.fresh(`${name}_zp`);
  const scaleDims = qw.axis === undefined ? [] : [qw.scales.length];
  const output = node.output[0]!;
  const rows = index.fresh(`${output}_int8`);
  node.input[0] = base;
  node.output[0] = rows;
  return {
    initializers: [int8Tensor(base, qw.values, dims), floatTensor(scale, qw.scales, scaleDims), int8Tensor(zp, new Int8Array(qw.scales.length), scaleDims)],
    dequantize: { opType: 'DequantizeLinear', input: [rows, scale, zp], output: [output], attribute: qw.axis === undefined ? [] : [attr.int('axis', -1)] },
    replaced: name,
  };
}

/** The `how` of an int8 table in the report. */
export function int8TableHow(perColumn: boolean): string {
  return `int8 table${perColumn ? ' (per-column scales)' : ''}, rows dequantized after the lookup`;
}
