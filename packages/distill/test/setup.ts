import { registerDistillBuiltins } from '../src/losses/registry.js';

// Unit tests import modules directly; register the built-ins as the package entry point does.
registerDistillBuiltins();
