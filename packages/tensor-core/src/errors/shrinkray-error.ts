const marker = Symbol.for('shrinkray.error');

/**
 * Base class of every error shrinkray throws. `code` is stable for scripts; `isInstance` works
 * across duplicated package copies (it checks a global symbol, not the prototype chain).
 */
export class ShrinkrayError extends Error {
  readonly [marker] = true;
  /** Stable machine-readable code, e.g. `SHAPE_MISMATCH`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  static isInstance(error: unknown): error is ShrinkrayError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }
}
