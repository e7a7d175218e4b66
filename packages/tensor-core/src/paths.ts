import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { PathEscapeError } from './errors/path-escape-error.js';

function inside(base: string, target: string): boolean {
  const rel = path.relative(base, target);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** The real path of `target`, or of its deepest existing ancestor joined with the rest when it does not exist. */
function realpathOfExisting(target: string): string {
  let existing = target;
  const rest: string[] = [];
  while (!existsSync(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) return target;
    rest.unshift(path.basename(existing));
    existing = parent;
  }
  return path.join(realpathSync(existing), ...rest);
}

/**
 * Resolves `relPath`, a path written inside a file the user handed us (a tfjs weights manifest entry,
 * a plugin spec in a config file, a package's entry point), against `baseDir`, the folder of that
 * file, and refuses it with `PathEscapeError` (naming `what`) when it could read outside that folder:
 * an absolute path, a `..` climb, or a symlink (the file itself or a folder on the way) whose real
 * path lies outside the real `baseDir`. Returns the resolved (not real) path. Files that do not exist
 * yet are checked through their deepest existing ancestor, so a later read fails with its own error.
 *
 * @example
 * const file = resolveInside(path.dirname(modelJson), 'group1-shard1of1.bin', 'model.json weightsManifest[0].paths[0]');
 */
export function resolveInside(baseDir: string, relPath: string, what: string): string {
  if (typeof relPath !== 'string' || relPath.length === 0 || relPath.includes('\0')) {
    throw new PathEscapeError({ entry: what, path: String(relPath), baseDir, reason: 'invalid' });
  }
  if (path.isAbsolute(relPath) || path.win32.isAbsolute(relPath)) throw new PathEscapeError({ entry: what, path: relPath, baseDir, reason: 'absolute' });
  const base = path.resolve(baseDir);
  const target = path.resolve(base, relPath);
  if (!inside(base, target)) throw new PathEscapeError({ entry: what, path: relPath, baseDir: base, reason: 'parent' });
  const realBase = realpathOfExisting(base);
  const realTarget = realpathOfExisting(target);
  if (!inside(realBase, realTarget)) throw new PathEscapeError({ entry: what, path: relPath, baseDir: base, reason: 'symlink', resolved: realTarget });
  return target;
}
