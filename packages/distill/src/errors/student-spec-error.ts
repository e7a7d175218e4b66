import { ShrinkrayError } from '@shrinkray/tensor-core';

/** A student spec string (`mlp:64,32`, `cnn:16,32/64`) cannot be parsed or built. Names the spec and the problem. */
export class StudentSpecError extends ShrinkrayError<'STUDENT_SPEC'> {
  readonly spec: string;

  constructor(spec: string, message: string) {
    super('STUDENT_SPEC', `student spec '${spec}': ${message}`);
    this.spec = spec;
  }

  static override isInstance(error: unknown): error is StudentSpecError {
    return ShrinkrayError.isInstance(error) && error.code === 'STUDENT_SPEC';
  }
}
