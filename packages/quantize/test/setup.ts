import { registerQuantizeBuiltins } from '../src/calibration/methods.js';

// Unit tests import modules directly; register the built-ins as the package entry point does.
registerQuantizeBuiltins();
