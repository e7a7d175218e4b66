export { EventFileError } from './event-file-error.js';
