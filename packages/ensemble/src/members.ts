import { formatShape, type Model, sizeOf } from '@shrinkray/tensor-core';
import { MemberMismatchError } from './errors/member-mismatch-error.js';

/** The input shape and class count all members share. */
export interface MemberSignature {
  /** The first member's declared input shape (batch first). */
  readonly inputShape: readonly (number | string | null)[];
  /** Values per example (product of the non-batch dimensions). */
  readonly valuesPerExample: number;
  readonly numClasses: number;
}

function valuesPerExample(shape: readonly (number | string | null)[]): number | undefined {
  const rest = shape.slice(1);
  return rest.every((d) => typeof d === 'number') ? sizeOf(rest as number[]) : undefined;
}

/**
 * Checks that members agree: the same class count, and input shapes holding the same number of
 * values per example (`[N,28,28,1]`, `[N,1,28,28]` and `[N,784]` all agree: data is adapted to each
 * member's layout). Throws `MemberMismatchError` naming the first member that does not fit.
 */
export function checkMembers(members: readonly Pick<Model, 'name' | 'inputShape' | 'numClasses'>[]): MemberSignature {
  const first = members[0];
  if (!first) throw new MemberMismatchError({ member: 'ensemble', index: 0, what: 'members', expected: 'at least one member', found: 'none' });
  const values = valuesPerExample(first.inputShape);
  if (values === undefined) {
    throw new MemberMismatchError({ member: first.name, index: 0, what: 'input shape', expected: 'fixed dimensions besides the batch', found: formatShape(first.inputShape) });
  }
  for (const [i, m] of members.entries()) {
    if (m.numClasses !== first.numClasses) {
      throw new MemberMismatchError({ member: m.name, index: i, what: 'class count', expected: `${first.numClasses} (as ${first.name})`, found: `${m.numClasses}` });
    }
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
  return { inputShape: first.inputShape, valuesPerExample: values, numClasses: first.numClasses };
}
