import type { MemberMismatchError } from './member-mismatch-error.js';
import type { AggregatorFitError } from './aggregator-fit-error.js';
import type { EnsembleServingError } from './serving-error.js';

export { MemberMismatchError } from './member-mismatch-error.js';
export { AggregatorFitError } from './aggregator-fit-error.js';
export { EnsembleServingError } from './serving-error.js';

/** Every `code` the errors of this package can carry (a string-literal union). */
export type EnsembleErrorCode = MemberMismatchError['code'] | AggregatorFitError['code'] | EnsembleServingError['code'];
