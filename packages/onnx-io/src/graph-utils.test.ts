import { Tensor } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { attr } from './attributes.js';
import { GraphBuilder, valueInfo } from './builder.js';
import { appendNodes, extractSubgraph, mergeGraphs, prefixRename } from './graph-utils.js';
import { inspect } from './inspect.js';
import { decodeOnnx, encodeOnnx } from './io.js';
import { OnnxModel } from './onnx-model.js';
import { checkOnnx } from './onnx-checker.test.util.js';
import type { ModelProto } from './types.js';

function scaleModel(scale: number, shift: number): ModelProto {
  const b = new GraphBuilder('scale');
  b.input('x', 'float32', [null, 2]);
  b.initializer('W', new Float32Array([scale, 0, 0, scale]), [2, 2]);
  b.initializer('B', new Float32Array([shift, 0]), [2]);
  b.node('MatMul', ['x', 'W'], ['h']);
  b.node('Add', ['h', 'B'], ['a']);
  b.node('Relu', ['a'], ['y']);
  b.output('y', 'float32', [null, 2]);
  return b.build();
}

async function run(model: ModelProto, values: number[]): Promise<Float32Array> {
  const m = await OnnxModel.create(encodeOnnx(model));
  try {
    return (await m.run(Tensor.float32([values.length / 2, 2], values))).data;
  } finally {
    await m.dispose();
  }
}

describe('graph utilities', () => {
  it('prefixRename renames values, nodes and initializers but keeps the listed names', () => {
    const g = prefixRename(scaleModel(1, 0).graph, 'p_', { keep: ['x'] });
    expect(g.input[0]!.name).toBe('x');
    expect(g.output[0]!.name).toBe('p_y');
    expect(g.initializer.map((t) => t.name)).toEqual(['p_W', 'p_B']);
    expect(g.node[0]!.input).toEqual(['x', 'p_W']);
  });

  it('mergeGraphs feeds one input to every model; outputs equal the models run alone; checker passes', async () => {
    const a = scaleModel(2, 1);
    const b = scaleModel(-1, 0);
    const merged = mergeGraphs([a, b]);
    expect(merged.graph.input.map((i) => i.name)).toEqual(['x']);
    expect(merged.graph.output.map((o) => o.name)).toEqual(['m0_y', 'm1_y']);
    const values = [1, -2, 3, 0.5];
    // a: relu([2x0+1, 2x1]) ; b: relu(-x)
    expect(Array.from(await run(a, values))).toEqual([3, 0, 7, 1]);
    expect(Array.from(await run(b, values))).toEqual([0, 2, 0, 0]);
    const session = await OnnxModel.create(encodeOnnx(merged));
    const out = await session.session.run({ x: Tensor.float32([2, 2], values).toOrt() });
    expect(Array.from(out['m0_y']!.data as Float32Array)).toEqual([3, 0, 7, 1]);
    expect(Array.from(out['m1_y']!.data as Float32Array)).toEqual([0, 2, 0, 0]);
    await session.dispose();
    // appendNodes: average the two outputs into one.
    const averaged = appendNodes(
      merged,
      [
        { opType: 'Sum', input: ['m0_y', 'm1_y'], output: ['sum'], name: 'sum' },
        { opType: 'Div', input: ['sum', 'two'], output: ['mean'], name: 'mean' },
      ],
      [valueInfo('mean', 'float32', [null, 2])],
      [{ name: 'two', dims: [], dataType: 1, floatData: [2] }],
    );
    expect(Array.from(await run(averaged, values))).toEqual([1.5, 1, 3.5, 0.5]);
    expect(checkOnnx([encodeOnnx(merged), encodeOnnx(averaged)])).toMatch(/^ok/);
  });

  it('extractSubgraph keeps only what the requested outputs need', async () => {
    const sub = extractSubgraph(scaleModel(3, 1), ['x'], ['a']);
    expect(sub.graph.node.map((n) => n.opType)).toEqual(['MatMul', 'Add']);
    expect(sub.graph.initializer.map((t) => t.name)).toEqual(['W', 'B']);
    sub.graph.output = [valueInfo('a', 'float32', [null, 2])];
    expect(Array.from(await run(sub, [1, -2]))).toEqual([4, -6]);
    const tail = extractSubgraph(scaleModel(3, 1), ['a'], ['y']);
    expect(tail.graph.node.map((n) => n.opType)).toEqual(['Relu']);
    expect(tail.graph.initializer).toEqual([]);
  });

  it('inspect counts ops, parameters, zeros and shapes', () => {
    const b = new GraphBuilder('m');
    b.input('x', 'float32', ['N', 4]);
    b.initializer('W', new Float32Array([0, 1, 0, 2, 0, 0, 3, 0]), [4, 2]);
    b.initializer('B', new Float32Array([0, 1]), [2]);
    b.initializer('shape', new BigInt64Array([-1n, 2n]), [2]);
    b.node('Gemm', ['x', 'W', 'B'], ['g']);
    b.node('Reshape', ['g', 'shape'], ['r']);
    b.node('Relu', ['r'], ['y'], [attr.string('note', 'unused')]);
    b.output('y', 'float32', ['N', 2]);
    const bytes = encodeOnnx(b.build());
    const s = inspect(decodeOnnx(bytes), bytes);
    expect(s.params).toBe(10);
    expect(s.sparsity).toBeCloseTo(6 / 10, 10);
    expect(s.ops).toEqual({ Gemm: 1, Reshape: 1, Relu: 1 });
    expect(s.inputs).toEqual([{ name: 'x', dtype: 'float', shape: ['N', 4] }]);
    expect(s.outputs[0]!.shape).toEqual(['N', 2]);
    expect(s.bytes).toBe(bytes.length);
    expect(s.opset).toBe(17);
  });
});
