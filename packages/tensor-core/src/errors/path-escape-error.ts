import { ShrinkrayError } from './shrinkray-error.js';

/** Why a path read from inside a file was refused. */
export type PathEscapeReason = 'absolute' | 'parent' | 'symlink' | 'invalid';

/**
 * A path written inside a file the user handed us (a weights manifest entry, a plugin spec in a
 * config file, a package's entry point) points outside the folder it must stay in: an absolute path,
 * a `..` climb, or a symlink whose target lies outside. Names the entry, the path and the folder.
 */
export class PathEscapeError extends ShrinkrayError<'PATH_ESCAPE'> {
  /** The entry that held the path, e.g. `model.json weightsManifest[0].paths[1]`. */
  readonly entry: string;
  /** The path as written in the file. */
  readonly path: string;
  /** The folder the path had to stay inside. */
  readonly baseDir: string;
  readonly reason: PathEscapeReason;

  constructor(args: { entry: string; path: string; baseDir: string; reason: PathEscapeReason; resolved?: string }) {
    const why: Record<PathEscapeReason, string> = {
      absolute: 'is absolute',
      parent: 'climbs out with ..',
      symlink: `is a symlink (or lies under one) resolving to ${args.resolved ?? 'a file'} outside it`,
      invalid: 'is empty or holds a NUL byte',
    };
    super('PATH_ESCAPE', `${args.entry}: path "${args.path}" ${why[args.reason]}; refused (it must stay inside ${args.baseDir})`);
    this.entry = args.entry;
    this.path = args.path;
    this.baseDir = args.baseDir;
    this.reason = args.reason;
  }

  static override isInstance(error: unknown): error is PathEscapeError {
    return ShrinkrayError.isInstance(error) && error.code === 'PATH_ESCAPE';
  }
}
