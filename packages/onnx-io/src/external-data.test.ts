import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder.js';
import { OnnxFormatError } from './errors/onnx-format-error.js';
import { encodeOnnx, loadOnnx } from './io.js';
import { OnnxModel } from './onnx-model.js';

/** A one-MatMul model whose weight claims to live in an external file (`location`), as ONNX external data does. */
function withExternalWeight(location: string): Uint8Array {
  const b = new GraphBuilder('external');
  b.input('x', 'float32', [null, 2]);
  b.initializer('W', new Float32Array([1, 2, 3, 4]), [2, 2]);
  b.node('MatMul', ['x', 'W'], ['y']);
  b.output('y', 'float32', [null, 2]);
  const model = b.build();
  const w = model.graph.initializer[0]!;
  w.floatData = [];
  w.rawData = new Uint8Array(0);
  w.dataLocation = 1;
  w.externalData = [
    { key: 'location', value: location },
    { key: 'length', value: '16' },
  ];
  return encodeOnnx(model);
}

describe('ONNX external data (paths named inside the model file)', () => {
  it.each([['../outside.bin'], ['/etc/hostname'], ['beside.bin']])('refuses external data at %s before ONNX Runtime could read it', async (location) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'onnx-external-'));
    writeFileSync(path.join(dir, 'beside.bin'), new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer));
    const file = path.join(dir, 'model.onnx');
    writeFileSync(file, withExternalWeight(location));
    for (const open of [() => loadOnnx(file), () => OnnxModel.create(file)]) {
      const error: unknown = await open().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(OnnxFormatError.isInstance(error)).toBe(true);
      expect((error as Error).message).toBe(`${file}: tensor 'W' keeps its data in an external file ("${location}"), which is not supported (nothing outside the model file is read)`);
    }
  });
});
