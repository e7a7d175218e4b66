import { describe, expect, it } from 'vitest';
import { MemberMismatchError } from './errors/member-mismatch-error.js';
import { checkMembers } from './members.js';

const m = (name: string, inputShape: (number | null | string)[], numClasses = 10) => ({ name, inputShape, numClasses });

describe('checkMembers', () => {
  it('accepts NHWC, NCHW and flat members of the same size', () => {
    const s = checkMembers([m('a.json', [null, 28, 28, 1]), m('b.onnx', ['N', 1, 28, 28]), m('c.onnx', [null, 784])]);
    expect(s).toEqual({ input: 'features', inputShape: [null, 28, 28, 1], valuesPerExample: 784, numClasses: 10 });
  });

  it('names the member with a different class count', () => {
    const run = () => checkMembers([m('a.json', [null, 784]), m('b.json', [null, 784]), m('c.onnx', [null, 784], 5)]);
    expect(run).toThrow(MemberMismatchError);
    expect(run).toThrow('ensemble member 2 (c.onnx): class count: expected 10 (as a.json), found 5');
  });

  it('names the member with a different input size', () => {
    try {
      checkMembers([m('a.json', [null, 28, 28, 1]), m('b.onnx', [null, 3, 32, 32])]);
      expect.unreachable();
    } catch (error) {
      expect(MemberMismatchError.isInstance(error)).toBe(true);
      expect((error as MemberMismatchError).member).toBe('b.onnx');
      expect((error as Error).message).toBe('ensemble member 1 (b.onnx): input shape: expected 784 values per example, like a.json [?,28,28,1], found [?,3,32,32] (3072 values)');
    }
  });
});
