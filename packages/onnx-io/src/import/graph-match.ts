import type { Tensor } from '@shrinkray/tensor-core';
import { getAttr } from '../attributes.js';
import type { NodeProto } from '../types.js';
import type { ImportContext, ImportValue } from './types.js';

/** Read-only helpers for pattern importers: walking the graph without changing the import. */

/** The single node reading `name` when it has op type `opType` (and `name` is not a graph output). */
export function soleConsumer(ctx: ImportContext, name: string | undefined, opType: string): NodeProto | undefined {
  if (name === undefined) return undefined;
  const users = ctx.consumers(name);
  return users.length === 1 && users[0]!.opType === opType && !ctx.isGraphOutput(name) ? users[0] : undefined;
}

/** The node writing `name` when it has op type `opType`. */
export function producerOf(ctx: ImportContext, name: string | undefined, opType: string): NodeProto | undefined {
  const p = name === undefined ? undefined : ctx.producer(name);
  return p?.opType === opType ? p : undefined;
}

/** The input of a two-input node that is not `name`. */
export function otherInput(node: NodeProto, name: string): string | undefined {
  if (node.input.length !== 2) return undefined;
  return node.input[0] === name ? node.input[1] : node.input[1] === name ? node.input[0] : undefined;
}

/** A constant's values as numbers. */
export function numbers(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** The value of a one-element constant, else undefined. */
export function scalarConstant(ctx: ImportContext, name: string | undefined): number | undefined {
  const t = name === undefined ? undefined : ctx.constantByName(name);
  return t && t.size === 1 ? numbers(t)[0] : undefined;
}

/** A constant as float32 values. */
export function floatConstant(t: Tensor): Float32Array {
  return t.dtype === 'float32' ? (t.data as Float32Array) : Float32Array.from(numbers(t));
}

/** `axes` of a reduce/unsqueeze node: the constant second input (opset 13+) or the attribute. */
export function axesOf(ctx: ImportContext, node: NodeProto): number[] | undefined {
  const input = node.input[1];
  if (input) {
    const t = ctx.constantByName(input);
    return t ? numbers(t) : undefined;
  }
  return getAttr.has(node, 'axes') ? getAttr.ints(node, 'axes', []) : undefined;
}

/** True when a runtime value's tfjs axes are the ONNX axes, at the given rank. */
export function inOrder(value: ImportValue | undefined, rank: number): value is ImportValue {
  return value !== undefined && value.perm.length === rank && value.perm.every((p, i) => p === i);
}

/** Same integers in the same order. */
export function sameInts(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
}
