import { registerEnsembleBuiltins } from '../src/aggregators/builtins.js';

// Unit tests import modules directly; register the built-ins as the package entry point does.
registerEnsembleBuiltins();
