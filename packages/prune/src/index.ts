export * from './errors/index.js';
export { Registry, type Named } from './registry.js';
export { criteria, l1, l2, random, taylor, scoreUnits, sumPerUnit, unitCount, type Criterion, type ScoreContext } from './criteria.js';
export { schedules, oneShot, constant, polynomial, polynomialSparsity, type Schedule, type ScheduleContext, type PruneEvent } from './schedules.js';
export { modes, hard, softDecay, type Mode, type ModeStepArgs } from './modes.js';
export { selectMasks, checkSparsity, prunedCount, sparsityOf, type Scope, type LayerScores } from './masks.js';
export { Pruner, prunableLayers, type PrunerOptions, type PrunableLayer, type LayerSelection, type LayerSparsity } from './pruner.js';
export { removeUnits, countParams, countNonzeroParams } from './surgery.js';
