import { ShrinkrayError } from '@shrinkray/tensor-core';

/**
 * The calibration (or evaluation) data does not fit the model: an example shape the model's input
 * cannot take, or a class count different from the model's outputs. Names the model file, the node
 * (graph input or output) and what was expected vs found.
 */
export class CalibrationDataError extends ShrinkrayError {
  readonly file: string;
  readonly node: string;
  readonly expected: string;
  readonly found: string;

  constructor(args: { file: string; node: string; expected: string; found: string; data: string }) {
    super('CALIBRATION_DATA', `${args.file} node '${args.node}': data ${args.data} does not fit: expected ${args.expected}, found ${args.found}`);
    this.file = args.file;
    this.node = args.node;
    this.expected = args.expected;
    this.found = args.found;
  }

  static override isInstance(error: unknown): error is CalibrationDataError {
    return ShrinkrayError.isInstance(error) && error.code === 'CALIBRATION_DATA';
  }
}
