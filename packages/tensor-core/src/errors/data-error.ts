import { ShrinkrayError } from './shrinkray-error.js';

/** Where in a data source a bad value sits. Every field that is known is given. */
export interface DataLocation {
  /** The file (or dataset name, for data already in memory). */
  source: string;
  /** 0-based example index, or the 1-based line number of a text file when `line` is set. */
  row?: number;
  /** 1-based line number in a text file. */
  line?: number;
  /** A column name or 0-based feature index. */
  column?: string | number;
  /** An entry inside an archive (e.g. `x_train.npy` in an npz). */
  entry?: string;
}

/** What is wrong with the data. Stable for scripts. */
export type DataErrorKind =
  | 'non-finite'
  | 'non-numeric'
  | 'ragged'
  | 'label-not-integer'
  | 'label-out-of-range'
  | 'length-mismatch'
  | 'missing-key'
  | 'corrupt'
  | 'empty'
  | 'classes-mismatch'
  | 'unsupported';

/**
 * A data file or array holds a value shrinkray cannot use. Names the file and where in it (row, line,
 * column, archive entry), and what was expected vs found.
 *
 * @example
 * throw new DataError('non-finite', { source: 'train.csv', line: 12, column: 'x3' }, 'NaN');
 */
export class DataError extends ShrinkrayError<'DATA'> {
  readonly kind: DataErrorKind;
  readonly location: DataLocation;

  constructor(kind: DataErrorKind, location: DataLocation, detail: string) {
    super('DATA', `${formatLocation(location)}: ${detail}`);
    this.kind = kind;
    this.location = location;
  }

  static override isInstance(error: unknown): error is DataError {
    return ShrinkrayError.isInstance(error) && error.code === 'DATA';
  }
}

function formatLocation(l: DataLocation): string {
  const parts = [l.source];
  if (l.entry !== undefined) parts.push(`entry ${l.entry}`);
  if (l.line !== undefined) parts.push(`line ${l.line}`);
  else if (l.row !== undefined) parts.push(`row ${l.row}`);
  if (l.column !== undefined) parts.push(`column ${l.column}`);
  return parts.join(', ');
}
