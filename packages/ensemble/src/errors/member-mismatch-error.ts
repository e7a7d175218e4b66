import { ShrinkrayError } from '@shrinkray/tensor-core';

/**
 * An ensemble member does not fit with the others: a different input shape or class count, or outputs
 * of the wrong shape. Names the member and the expected vs found value.
 */
export class MemberMismatchError extends ShrinkrayError<'MEMBER_MISMATCH'> {
  /** The member's name (its file name, usually). */
  readonly member: string;
  /** Zero-based position of the member in the ensemble. */
  readonly index: number;
  readonly expected: string;
  readonly found: string;

  constructor(args: { member: string; index: number; what: string; expected: string; found: string }) {
    super('MEMBER_MISMATCH', `ensemble member ${args.index} (${args.member}): ${args.what}: expected ${args.expected}, found ${args.found}`);
    this.member = args.member;
    this.index = args.index;
    this.expected = args.expected;
    this.found = args.found;
  }

  static override isInstance(error: unknown): error is MemberMismatchError {
    return ShrinkrayError.isInstance(error) && error.code === 'MEMBER_MISMATCH';
  }
}
