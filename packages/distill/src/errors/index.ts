export { TeacherStudentMismatchError } from './teacher-student-mismatch-error.js';
export { DistillDataError } from './distill-data-error.js';
export { LogitsFileError } from './logits-file-error.js';
export { StudentSpecError } from './student-spec-error.js';
