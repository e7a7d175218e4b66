import { builtinCriteria, criteria } from './criteria.js';
import { builtinModes, modes } from './modes.js';
import { builtinSchedules, schedules } from './schedules.js';

/**
 * Registers prune's built-in criteria, schedules and modes in the shared registries (names already
 * taken, e.g. by a second installed copy of the package, are left as they are). The package entry
 * point calls this on import; `@shrinkray/prune/base` does not.
 */
export function registerPruneBuiltins(): void {
  criteria.registerBuiltins(builtinCriteria, (c) => c.name);
  schedules.registerBuiltins(builtinSchedules, (s) => s.name);
  modes.registerBuiltins(builtinModes, (m) => m.name);
}
