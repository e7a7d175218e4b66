import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attr } from './attributes.js';
import { GraphBuilder } from './builder.js';
import { OnnxFormatError } from './errors/onnx-format-error.js';
import { OnnxTensorSizeError } from './errors/onnx-tensor-size-error.js';
import { decodeOnnx, encodeOnnx, validateModel } from './io.js';
import { tensorFromProto } from './tensor-proto.js';

function small(): Uint8Array {
  const b = new GraphBuilder('fuzz');
  b.input('x', 'float32', [null, 3]);
  b.initializer('W', new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
  b.initializer('shape', new BigInt64Array([-1n, 2n]), [2]);
  b.node('MatMul', ['x', 'W'], ['h']);
  b.node('Reshape', ['h', 'shape'], ['r']);
  b.node('Softmax', ['r'], ['y'], [attr.int('axis', -1)]);
  b.output('y', 'float32', [null, 2]);
  return encodeOnnx(b.build());
}

const seeds = [small(), new Uint8Array(readFileSync(fileURLToPath(new URL('../fixtures/torch-cnn.onnx', import.meta.url))))];

/** Decoding either fails with OnnxFormatError or yields a model whose tensors can all be read. */
function decodeSafely(bytes: Uint8Array): 'error' | 'ok' {
  const start = performance.now();
  try {
    const model = decodeOnnx(bytes, { name: 'fuzz.onnx', maxTensorBytes: 64 * 2 ** 20 });
    validateModel(model, 'fuzz.onnx');
    for (const t of model.graph.initializer) tensorFromProto(t, 'fuzz.onnx');
    return 'ok';
  } catch (error) {
    if (!OnnxFormatError.isInstance(error)) throw new Error(`not an OnnxFormatError: ${String(error)}`, { cause: error });
    expect(error.message.startsWith('fuzz.onnx: ')).toBe(true);
    return 'error';
  } finally {
    expect(performance.now() - start).toBeLessThan(2000);
  }
}

describe('fuzzing the ONNX reader', () => {
  it('every truncation of a valid file is an OnnxFormatError', () => {
    for (const seed of seeds) {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: seed.length - 1 }), (cut) => {
          expect(decodeSafely(seed.subarray(0, cut))).toBe('error');
        }),
        { numRuns: 300, seed: 42 },
      );
    }
  });

  it('bit-flipped files give OnnxFormatError or a readable model, never a crash', () => {
    let errors = 0;
    for (const seed of seeds) {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: seed.length * 8 - 1 }), { minLength: 1, maxLength: 8 }), (bits) => {
          const copy = seed.slice();
          for (const bit of bits) copy[bit >> 3] = copy[bit >> 3]! ^ (1 << (bit & 7));
          if (decodeSafely(copy) === 'error') errors++;
        }),
        { numRuns: 400, seed: 7 },
      );
    }
    expect(errors).toBeGreaterThan(0);
  });

  it('random bytes give OnnxFormatError or a readable model, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 4096 }), (bytes) => {
        decodeSafely(bytes);
      }),
      { numRuns: 500, seed: 3 },
    );
  });

  it('a raw_data length prefix claiming 2 GiB is refused without allocating', () => {
    // TensorProto { dims: [536870912], data_type: FLOAT, raw_data: <claims 2^31 bytes, holds 4> }
    const tensor = [0x08, 0x80, 0x80, 0x80, 0x80, 0x02, 0x10, 0x01, 0x4a, 0x80, 0x80, 0x80, 0x80, 0x08, 1, 2, 3, 4];
    const graph = [0x2a, tensor.length, ...tensor];
    const model = Uint8Array.from([0x08, 0x08, 0x3a, graph.length, ...graph, 0x42, 0x02, 0x10, 0x11]);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decodeOnnx(model, { name: 'claims.onnx' })).toThrow(OnnxFormatError);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });

  it('a well-formed file whose tensor claims 2^40 elements is refused by size before allocating', () => {
    const b = new GraphBuilder('huge');
    b.input('x', 'float32', [null, 2]);
    b.initializer('W', new Float32Array(4), [2, 2]);
    b.node('MatMul', ['x', 'W'], ['y']);
    b.output('y', 'float32', [null, 2]);
    const model = b.build();
    model.graph.initializer[0]!.dims = [2 ** 20, 2 ** 20];
    const bytes = encodeOnnx(model);
    const before = process.memoryUsage().arrayBuffers;
    let error: unknown;
    try {
      decodeOnnx(bytes, { name: 'huge.onnx' });
    } catch (e) {
      error = e;
    }
    expect(OnnxTensorSizeError.isInstance(error)).toBe(true);
    expect((error as OnnxTensorSizeError).claimedBytes).toBe(2 ** 42);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });
});
