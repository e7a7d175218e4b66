import { ShrinkrayError } from '@shrinkray/tensor-core';

/**
 * Teacher and student (or teacher and data, or two ensemble members) disagree on something both must
 * share: the number of classes or the input shape. Names both sides and what each has.
 */
export class TeacherStudentMismatchError extends ShrinkrayError<'TEACHER_STUDENT_MISMATCH'> {
  /** What differs: `classes` or `input shape`. */
  readonly what: string;
  readonly expected: string;
  readonly found: string;

  constructor(args: { what: string; expectedFrom: string; expected: string; foundIn: string; found: string }) {
    super('TEACHER_STUDENT_MISMATCH', `${args.what} differ: ${args.expectedFrom} has ${args.expected}, ${args.foundIn} has ${args.found}`);
    this.what = args.what;
    this.expected = args.expected;
    this.found = args.found;
  }

  static override isInstance(error: unknown): error is TeacherStudentMismatchError {
    return ShrinkrayError.isInstance(error) && error.code === 'TEACHER_STUDENT_MISMATCH';
  }
}
