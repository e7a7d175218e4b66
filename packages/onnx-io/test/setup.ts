import { registerOnnxIoBuiltins } from '../src/register.js';

// Unit tests import modules directly; register the built-ins as the package entry point does.
registerOnnxIoBuiltins();
