/**
 * `@shrinkray/distill`: everything in `@shrinkray/distill/base`, with the built-in losses registered
 * in the shared registry on import.
 */
import { registerDistillBuiltins } from './losses/registry.js';

export * from './base.js';

registerDistillBuiltins();
