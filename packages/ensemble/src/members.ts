import { OnnxTextModel } from '@shrinkray/onnx-io';
import { formatShape, type Model, sizeOf, TfjsModel } from '@shrinkray/tensor-core';
import { MemberMismatchError } from './errors/member-mismatch-error.js';

/** What a member reads: float features (pixels, vectors) or integer token ids `[N, L]`. */
export type MemberInput = 'features' | 'tokens';

/** The input shape and class count all members share. */
export interface MemberSignature {
  /** What every member reads. */
  readonly input: MemberInput;
  /**
   * The first member's declared input shape (batch first); for token members `[null, L]`, `L` being
   * the sequence length the members fix (`null` when none does).
   */
  readonly inputShape: readonly (number | string | null)[];
  /** Values per example (product of the non-batch dimensions); `null` for token members of free length. */
  readonly valuesPerExample: number | null;
  readonly numClasses: number;
}

type MemberLike = Pick<Model, 'name' | 'inputShape' | 'numClasses'>;

function valuesPerExample(shape: readonly (number | string | null)[]): number | undefined {
  const rest = shape.slice(1);
  return rest.every((d) => typeof d === 'number') ? sizeOf(rest as number[]) : undefined;
}

/**
 * Whether a member reads token ids: an onnx-io `OnnxTextModel`, a tfjs model whose input is int32
 * (the text students), or any model declaring `inputKind: 'tokens'`; everything else reads features.
 */
export function memberInput(member: MemberLike): MemberInput {
  if (member instanceof OnnxTextModel) return 'tokens';
  if (member instanceof TfjsModel) return member.layersModel.inputs[0]?.dtype === 'int32' ? 'tokens' : 'features';
  return (member as { inputKind?: unknown }).inputKind === 'tokens' ? 'tokens' : 'features';
}

/** Options of {@link checkMembers}. */
export interface CheckMembersOptions {
  /**
   * Token members: `true` for a member that reads token ids of its own (another tokenizer, possibly
   * another length); only the others must agree on the sequence length.
   */
  readonly ownIds?: readonly boolean[];
}

/** Token members: `[N, L]` each, the fixed lengths of the members sharing one input equal. */
function checkTokenMembers(members: readonly MemberLike[], ownIds: readonly boolean[]): MemberSignature {
  let length: { value: number; from: string } | undefined;
  for (const [i, m] of members.entries()) {
    if (m.inputShape.length !== 2) {
      throw new MemberMismatchError({ member: m.name, index: i, what: 'input shape', expected: 'token ids [N, L]', found: formatShape(m.inputShape) });
    }
    const L = m.inputShape[1];
    if (typeof L !== 'number' || ownIds[i]) continue;
    if (length && L !== length.value) {
      throw new MemberMismatchError({ member: m.name, index: i, what: 'sequence length', expected: `${length.value} tokens (as ${length.from})`, found: `${L}` });
    }
    length ??= { value: L, from: m.name };
  }
  return { input: 'tokens', inputShape: [null, length?.value ?? null], valuesPerExample: length?.value ?? null, numClasses: members[0]!.numClasses };
}

/**
 * Checks that members agree: the same class count, the same kind of input (features or token ids),
 * and for features input shapes holding the same number of values per example (`[N,28,28,1]`,
 * `[N,1,28,28]` and `[N,784]` all agree: data is adapted to each member's layout); for token ids
 * `[N, L]` with the same `L` wherever a member fixes it (members reading their own ids, `ownIds`,
 * aside). Throws `MemberMismatchError` naming the first member that does not fit.
 */
export function checkMembers(members: readonly MemberLike[], options: CheckMembersOptions = {}): MemberSignature {
  const first = members[0];
  if (!first) throw new MemberMismatchError({ member: 'ensemble', index: 0, what: 'members', expected: 'at least one member', found: 'none' });
  const input = memberInput(first);
  for (const [i, m] of members.entries()) {
    const kind = memberInput(m);
    if (kind !== input) throw new MemberMismatchError({ member: m.name, index: i, what: 'input', expected: `${input === 'tokens' ? 'token ids' : 'float features'} (as ${first.name})`, found: kind === 'tokens' ? 'token ids' : 'float features' });
    if (m.numClasses !== first.numClasses) {
      throw new MemberMismatchError({ member: m.name, index: i, what: 'class count', expected: `${first.numClasses} (as ${first.name})`, found: `${m.numClasses}` });
    }
  }
  if (input === 'tokens') return checkTokenMembers(members, options.ownIds ?? []);
  const values = valuesPerExample(first.inputShape);
  if (values === undefined) {
    throw new MemberMismatchError({ member: first.name, index: 0, what: 'input shape', expected: 'fixed dimensions besides the batch', found: formatShape(first.inputShape) });
  }
  for (const [i, m] of members.entries()) {
    const v = valuesPerExample(m.inputShape);
    if (v !== values) {
      throw new MemberMismatchError({
        member: m.name,
        index: i,
        what: 'input shape',
        expected: `${values} values per example, like ${first.name} ${formatShape(first.inputShape)}`,
        found: `${formatShape(m.inputShape)}${v === undefined ? '' : ` (${v} values)`}`,
      });
    }
  }
  return { input: 'features', inputShape: first.inputShape, valuesPerExample: values, numClasses: first.numClasses };
}
