/**
 * `@shrinkray/datasets`: everything in `@shrinkray/datasets/base`, with the built-in data formats
 * registered in the shared registry on import.
 */
import { registerBuiltinDataFormats } from './formats-register.js';

export * from './base.js';

registerBuiltinDataFormats();
