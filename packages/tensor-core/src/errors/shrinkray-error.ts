const marker = Symbol.for('shrinkray.error');

/**
 * Base class of every error shrinkray throws. `code` is stable for scripts and typed as a
 * string-literal union by each subclass (`ModelFileError['code']` is `'MODEL_FILE'`); `isInstance`
 * works across duplicated package copies (it checks a global symbol, not the prototype chain).
 */
export class ShrinkrayError<Code extends string = string> extends Error {
  readonly [marker] = true;
  /** Stable machine-readable code, e.g. `SHAPE_MISMATCH`. */
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  static isInstance(error: unknown): error is ShrinkrayError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }
}
