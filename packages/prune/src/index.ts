/**
 * `@shrinkray/prune`: everything in `@shrinkray/prune/base`, with the built-in criteria, schedules and
 * modes registered in the shared registries on import.
 */
import { registerPruneBuiltins } from './register.js';

export * from './base.js';

registerPruneBuiltins();
