import { registerBuiltinDataFormats } from '../src/formats-register.js';

// Unit tests import modules directly; register the built-ins as the package entry point does.
registerBuiltinDataFormats();
