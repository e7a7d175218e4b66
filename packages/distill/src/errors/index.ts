import type { TeacherStudentMismatchError } from './teacher-student-mismatch-error.js';
import type { DistillDataError } from './distill-data-error.js';
import type { LogitsFileError } from './logits-file-error.js';
import type { StudentSpecError } from './student-spec-error.js';

export { TeacherStudentMismatchError } from './teacher-student-mismatch-error.js';
export { DistillDataError } from './distill-data-error.js';
export { LogitsFileError } from './logits-file-error.js';
export { StudentSpecError } from './student-spec-error.js';

/** Every `code` the errors of this package can carry (a string-literal union). */
export type DistillErrorCode = TeacherStudentMismatchError['code'] | DistillDataError['code'] | LogitsFileError['code'] | StudentSpecError['code'];
