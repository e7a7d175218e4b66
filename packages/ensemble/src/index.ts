/**
 * `@shrinkray/ensemble`: everything in `@shrinkray/ensemble/base`, with the built-in aggregators
 * registered in the shared registry on import.
 */
import { registerEnsembleBuiltins } from './aggregators/builtins.js';

export * from './base.js';

registerEnsembleBuiltins();
