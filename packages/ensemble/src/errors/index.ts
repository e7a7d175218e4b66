export { MemberMismatchError } from './member-mismatch-error.js';
export { AggregatorFitError } from './aggregator-fit-error.js';
export { EnsembleServingError } from './serving-error.js';
