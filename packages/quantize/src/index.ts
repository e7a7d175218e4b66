/**
 * `@shrinkray/quantize`: everything in `@shrinkray/quantize/base`, with the built-in calibration
 * methods registered in the shared registry on import.
 */
import { registerQuantizeBuiltins } from './calibration/methods.js';

export * from './base.js';

registerQuantizeBuiltins();
