export * from './errors/index.js';
export type { AggregatorPlugin, AggregatorFitInput, FittedAggregator, FitProgress, LabelledOutputs } from './aggregators/types.js';
export { type AggregatorRegistry, emptyAggregatorRegistry } from './aggregators/registry.js';
export { aggregators, builtinAggregators, createAggregatorRegistry, registerEnsembleBuiltins } from './aggregators/builtins.js';
export { meanAggregator, weightedAggregator, accuracyWeightedAggregator, optimizedAggregator, normalizeWeights } from './aggregators/linear.js';
export { voteAggregator, voteTieBreakWeight } from './aggregators/vote.js';
export { geometricMeanAggregator } from './aggregators/geometric-mean.js';
export { stackingAggregator, stackingFeatureFloor } from './aggregators/stacking.js';
export { linearPool } from './aggregators/common.js';
export type { OnnxFragment, OnnxNodeSpec, OnnxInitializerSpec, OnnxAttributeSpec, OnnxAggregatorIo } from './onnx/fragment.js';
export { projectToSimplex, fitSimplexLogLoss, type SimplexFitOptions } from './fit/simplex.js';
export { fitMultinomialLogistic, type LogisticParameters, type LogisticFitOptions } from './fit/logistic.js';
export { minimizeLbfgs, type LbfgsOptions, type Objective } from './fit/lbfgs.js';
export { evaluateEnsemble, type EnsembleEvaluation, type MemberEvaluation } from './evaluate.js';
export { checkMembers, memberInput, type MemberInput, type MemberSignature } from './members.js';
export { checkMemberTokenizers, checkInputFitsData, tokenizerKey, type TokenizerIdentity } from './tokenizers.js';
export { mergeTextMembers, type FusedTextInput, type MergeTextOptions } from './onnx/merge-text.js';
export { Ensemble, createEnsemble, type EnsembleOptions } from './ensemble.js';
export {
  ensemble,
  DEFAULT_VALIDATION_FRACTION,
  type EnsembleData,
  type EnsembleDriverOptions,
  type EnsembleEvent,
  type EnsembleMemberReport,
  type EnsembleReport,
  type EnsembleResult,
} from './driver.js';
export { serveEnsemble, fuseEnsemble, saveFusedEnsemble, buildFusedModel, memberToOnnx, fusedProbabilitiesOutput, fusedLabelOutput, type ServingMode, type ServeOptions, type EnsembleServer } from './serve.js';
