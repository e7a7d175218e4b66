import { Tensor, tfl } from '@shrinkray/tensor-core';
import { getAttr } from '../attributes.js';
import { samePads } from '../export/builtins.js';
import { importConv1d } from './text-builtins.js';
import type { ImportContext, ImportValue, OpImporter } from './types.js';

const nhwc = [0, 2, 3, 1] as const;

function identity(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i);
}

function floats(t: Tensor): Float32Array {
  if (t.dtype === 'float32') return t.data as Float32Array;
  return Float32Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

function f32(shape: number[], data: Float32Array): Tensor {
  return new Tensor('float32', shape, data);
}

/** Dense from a [K, M] weight matrix (already in tfjs order) and an optional bias; fuses a following activation. */
function denseLayer(ctx: ImportContext, input: ImportValue, kernel: Float32Array, k: number, m: number, bias: Float32Array | undefined, output: string): void {
  // Rank 3+ (e.g. a transformer's [N, L, E]): a Dense on the last axis, when ONNX and tfjs axes agree.
  const rank = input.tensor.shape.length;
  if (rank !== 2 && !input.perm.every((p, i) => p === i)) ctx.fail(`needs a rank-2 input or one in tfjs axis order, got rank ${rank}`);
  const fused = ctx.fusableActivation(output, rank);
  const layer = tfl.layers.dense({ units: m, useBias: bias !== undefined, activation: fused.activation as 'linear', name: ctx.layerName() });
  const weights = [f32([k, m], kernel), ...(bias ? [f32([m], bias)] : [])];
  ctx.set(fused.output, { tensor: ctx.apply(layer, rank === 2 ? ctx.flatOrder(input) : input.tensor, weights), perm: identity(rank) });
}

function broadcastBias(ctx: ImportContext, c: Tensor, m: number, scale: number): Float32Array {
  const values = floats(c);
  if (values.length !== m && values.length !== 1) ctx.fail(`bias of ${values.length} values cannot broadcast to ${m} outputs`);
  const out = new Float32Array(m);
  for (let j = 0; j < m; j++) out[j] = scale * (values.length === 1 ? values[0]! : values[j]!);
  return out;
}

const gemm: OpImporter = {
  opType: 'Gemm',
  import(ctx) {
    if (getAttr.int(ctx.node, 'transA', 0) !== 0) ctx.fail('transA=1 is not supported');
    if (!ctx.isConstant(1)) ctx.fail('B must be an initializer');
    const transB = getAttr.int(ctx.node, 'transB', 0) !== 0;
    const alpha = getAttr.float(ctx.node, 'alpha', 1);
    const beta = getAttr.float(ctx.node, 'beta', 1);
    const b = ctx.constant(1);
    if (b.rank !== 2) ctx.fail(`B must be rank 2, got [${b.shape.join(',')}]`);
    const [r, c] = b.shape as [number, number];
    const k = transB ? c : r;
    const m = transB ? r : c;
    const src = floats(b);
    const kernel = new Float32Array(k * m);
    for (let i = 0; i < k; i++) for (let j = 0; j < m; j++) kernel[i * m + j] = alpha * (transB ? src[j * c + i]! : src[i * c + j]!);
    const hasBias = ctx.node.input.length > 2 && ctx.node.input[2] !== '';
    if (hasBias && !ctx.isConstant(2)) ctx.fail('C must be an initializer');
    const bias = hasBias ? broadcastBias(ctx, ctx.constant(2), m, beta) : undefined;
    denseLayer(ctx, ctx.value(0), kernel, k, m, bias, ctx.node.output[0]!);
  },
};

const matMul: OpImporter = {
  opType: 'MatMul',
  import(ctx) {
    if (!ctx.isConstant(1)) ctx.fail('the second input must be an initializer (a weight matrix)');
    const b = ctx.constant(1);
    if (b.rank !== 2) ctx.fail(`the weight must be rank 2, got [${b.shape.join(',')}]`);
    const [k, m] = b.shape as [number, number];
    let output = ctx.node.output[0]!;
    let bias: Float32Array | undefined;
    // PyTorch writes Linear as MatMul + Add(bias): fold the Add into the Dense layer.
    const users = ctx.consumers(output);
    const add = users[0];
    if (users.length === 1 && add?.opType === 'Add' && !ctx.isGraphOutput(output)) {
      const other = add.input[0] === output ? 1 : 0;
      const biasTensor = ctx.constantByName(add.input[other]!);
      if (biasTensor && biasTensor.size === m) {
        bias = floats(biasTensor);
        ctx.fuse(add);
        output = add.output[0]!;
      }
    }
    denseLayer(ctx, ctx.value(0), floats(b), k, m, bias, output);
  },
};

const add: OpImporter = {
  opType: 'Add',
  import(ctx) {
    if (ctx.isConstant(0) || ctx.isConstant(1)) ctx.fail('adding a constant is only supported as the bias right after MatMul');
    const a = ctx.value(0);
    const b = ctx.value(1);
    const layer = tfl.layers.add({ name: ctx.layerName() });
    ctx.set(ctx.node.output[0]!, { tensor: ctx.apply(layer, [a.tensor, ctx.withPerm(b, a.perm)]), perm: a.perm });
  },
};

/** tfjs padding for ONNX pads, or undefined when only explicit zero padding can express them. */
function paddingFor(ctx: ImportContext, input: tfl.SymbolicTensor, kernel: number[], strides: number[], dilations: number[]): { padding: 'valid' | 'same'; explicit?: [[number, number], [number, number]] } {
  const autoPad = getAttr.string(ctx.node, 'auto_pad', 'NOTSET');
  const [, h, w] = input.shape as [null, number, number, number];
  const same: number[] = [...samePads(h, kernel[0]!, strides[0]!, dilations[0]!), ...samePads(w, kernel[1]!, strides[1]!, dilations[1]!)];
  if (autoPad === 'VALID') return { padding: 'valid' };
  if (autoPad === 'SAME_UPPER') return { padding: 'same' };
  let pads = getAttr.ints(ctx.node, 'pads', [0, 0, 0, 0]);
  if (autoPad === 'SAME_LOWER') pads = [same[1]!, same[3]!, same[0]!, same[2]!];
  else if (autoPad !== 'NOTSET') ctx.fail(`auto_pad '${autoPad}' is not supported`);
  if (pads.length !== 4) ctx.fail(`pads must have 4 values for 2-D, got ${pads.length}`);
  const [t, l, b, r] = pads as [number, number, number, number];
  if (t === 0 && l === 0 && b === 0 && r === 0) return { padding: 'valid' };
  if (typeof h === 'number' && typeof w === 'number' && t === same[0] && b === same[1] && l === same[2] && r === same[3]) return { padding: 'same' };
  return { padding: 'valid', explicit: [[t, b], [l, r]] };
}

const conv: OpImporter = {
  opType: 'Conv',
  import(ctx) {
    if (!ctx.isConstant(1)) ctx.fail('W must be an initializer');
    const w = ctx.constant(1);
    if (w.rank === 3) return importConv1d(ctx);
    if (w.rank !== 4) ctx.fail(`only 2-D convolution is supported (W is [${w.shape.join(',')}])`);
    const [m, cg, kh, kw] = w.shape as [number, number, number, number];
    const group = getAttr.int(ctx.node, 'group', 1);
    const strides = getAttr.ints(ctx.node, 'strides', [1, 1]);
    const dilations = getAttr.ints(ctx.node, 'dilations', [1, 1]);
    const x = ctx.value(0);
    let input = ctx.withPerm(x, nhwc);
    const cin = input.shape[3] as number;
    if (cg * group !== cin) ctx.fail(`W expects ${cg * group} input channels, the input has ${cin}`);
    const pad = paddingFor(ctx, input, [kh, kw], strides, dilations);
    if (pad.explicit) input = ctx.apply(tfl.layers.zeroPadding2d({ padding: pad.explicit, name: ctx.layerName('pad') }), input);
    const hasBias = ctx.node.input.length > 2 && ctx.node.input[2] !== '';
    const bias = hasBias ? floats(ctx.constant(2)) : undefined;
    const src = floats(w);
    const fused = ctx.fusableActivation(ctx.node.output[0]!, 4);
    const common = {
      kernelSize: [kh, kw] as [number, number],
      strides: strides as [number, number],
      dilationRate: dilations as [number, number],
      padding: pad.padding,
      useBias: hasBias,
      activation: fused.activation as 'linear',
      name: ctx.layerName(),
    };
    let layer: tfl.layers.Layer;
    let kernel: Float32Array;
    let kernelShape: number[];
    if (group === 1) {
      kernel = new Float32Array(src.length);
      for (let o = 0; o < m; o++) for (let i = 0; i < cg; i++) for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) kernel[((y * kw + z) * cg + i) * m + o] = src[((o * cg + i) * kh + y) * kw + z]!;
      kernelShape = [kh, kw, cg, m];
      layer = tfl.layers.conv2d({ ...common, filters: m });
    } else if (group === cin && cg === 1 && m % cin === 0) {
      const mult = m / cin;
      kernel = new Float32Array(src.length);
      for (let c = 0; c < cin; c++) for (let j = 0; j < mult; j++) for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) kernel[((y * kw + z) * cin + c) * mult + j] = src[((c * mult + j) * kh + y) * kw + z]!;
      kernelShape = [kh, kw, cin, mult];
      layer = tfl.layers.depthwiseConv2d({ ...common, depthMultiplier: mult });
    } else {
      return ctx.fail(`group=${group} is supported only as 1 or as a depthwise convolution (group = input channels)`);
    }
    const weights = [f32(kernelShape, kernel), ...(bias ? [f32([m], bias)] : [])];
    ctx.set(fused.output, { tensor: ctx.apply(layer, input, weights), perm: nhwc });
  },
};

function poolImporter(opType: 'MaxPool' | 'AveragePool'): OpImporter {
  return {
    opType,
    import(ctx) {
      const kernel = getAttr.ints(ctx.node, 'kernel_shape', []);
      if (kernel.length !== 2) ctx.fail(`only 2-D pooling is supported (kernel_shape [${kernel.join(',')}])`);
      const strides = getAttr.ints(ctx.node, 'strides', [1, 1]);
      if (getAttr.int(ctx.node, 'ceil_mode', 0) !== 0) ctx.fail('ceil_mode=1 is not supported');
      if (getAttr.ints(ctx.node, 'dilations', [1, 1]).some((d) => d !== 1)) ctx.fail('dilated pooling is not supported');
      if (ctx.node.output.length > 1 && ctx.node.output[1]) ctx.fail('the Indices output is not supported');
      const input = ctx.withPerm(ctx.value(0), nhwc);
      const pad = paddingFor(ctx, input, kernel, strides, [1, 1]);
      if (pad.explicit) ctx.fail(`pads [${getAttr.ints(ctx.node, 'pads', []).join(',')}] match neither 'valid' nor 'same' padding`);
      if (opType === 'AveragePool' && pad.padding === 'same' && getAttr.int(ctx.node, 'count_include_pad', 0) !== 0) ctx.fail('count_include_pad=1 with padding is not supported');
      const config = { poolSize: kernel as [number, number], strides: strides as [number, number], padding: pad.padding, name: ctx.layerName() };
      const layer = opType === 'MaxPool' ? tfl.layers.maxPooling2d(config) : tfl.layers.averagePooling2d(config);
      ctx.set(ctx.node.output[0]!, { tensor: ctx.apply(layer, input), perm: nhwc });
    },
  };
}

const globalAveragePool: OpImporter = {
  opType: 'GlobalAveragePool',
  import(ctx) {
    const x = ctx.value(0);
    if (x.tensor.shape.length !== 4) ctx.fail(`only 2-D pooling is supported (input rank ${x.tensor.shape.length})`);
    const pooled = ctx.apply(tfl.layers.globalAveragePooling2d({ name: ctx.layerName() }), ctx.withPerm(x, nhwc));
    const out = ctx.node.output[0]!;
    const users = ctx.consumers(out);
    const next = users[0];
    if (users.length === 1 && next?.opType === 'Flatten' && getAttr.int(next, 'axis', 1) === 1 && !ctx.isGraphOutput(out)) {
      ctx.fuse(next);
      ctx.set(next.output[0]!, { tensor: pooled, perm: [0, 1] });
      return;
    }
    const channels = pooled.shape[1] as number;
    ctx.set(out, { tensor: ctx.apply(tfl.layers.reshape({ targetShape: [1, 1, channels], name: ctx.layerName('keepdims') }), pooled), perm: nhwc });
  },
};

const flatten: OpImporter = {
  opType: 'Flatten',
  import(ctx) {
    const x = ctx.value(0);
    const rank = x.tensor.shape.length;
    let axis = getAttr.int(ctx.node, 'axis', 1);
    if (axis < 0) axis += rank;
    if (axis !== 1) ctx.fail(`axis ${axis} is not supported (only 1)`);
    if (rank === 2) {
      ctx.set(ctx.node.output[0]!, { tensor: ctx.flatOrder(x), perm: [0, 1] });
      return;
    }
    ctx.set(ctx.node.output[0]!, { tensor: ctx.apply(tfl.layers.flatten({ name: ctx.layerName() }), ctx.flatOrder(x)), perm: [0, 1] });
  },
};

const reshape: OpImporter = {
  opType: 'Reshape',
  import(ctx) {
    if (!ctx.isConstant(1)) ctx.fail('the shape must be an initializer or Constant');
    if (getAttr.int(ctx.node, 'allowzero', 0) !== 0) ctx.fail('allowzero=1 is not supported');
    const x = ctx.value(0);
    const flat = ctx.flatOrder(x);
    // ONNX dims of the input (undo the perm on the tfjs shape).
    const onnxDims: (number | null)[] = new Array(x.perm.length);
    x.perm.forEach((axis, j) => {
      onnxDims[axis] = x.tensor.shape[j] ?? null;
    });
    const shape = Array.from(ctx.constant(1).data as ArrayLike<number | bigint>, (v) => Number(v));
    const target = shape.slice(1).map((d, i) => (d === 0 ? (onnxDims[i + 1] ?? ctx.fail('a 0 in shape copies an unknown dimension')) : d));
    if (target.filter((d) => d === -1).length > 1) ctx.fail(`shape [${shape.join(',')}] has more than one -1`);
    const out = ctx.apply(tfl.layers.reshape({ targetShape: target as number[], name: ctx.layerName() }), flat);
    ctx.set(ctx.node.output[0]!, { tensor: out, perm: identity(target.length + 1) });
  },
};

function activationImporter(opType: string, activation: string): OpImporter {
  return {
    opType,
    import(ctx) {
      const x = ctx.value(0);
      const layer = tfl.layers.activation({ activation: activation as 'relu', name: ctx.layerName() });
      ctx.set(ctx.node.output[0]!, { tensor: ctx.apply(layer, x.tensor), perm: x.perm });
    },
  };
}

/** Clip bounds from inputs (opset 11+) or attributes (older opsets). */
export function clipBounds(ctx: ImportContext): [number, number] {
  const bound = (i: number, attrName: string, fallback: number): number => {
    if (ctx.node.input.length > i && ctx.node.input[i] !== '') {
      if (!ctx.isConstant(i)) ctx.fail(`${attrName} must be a constant`);
      return Number(ctx.constant(i).data[0]);
    }
    return getAttr.float(ctx.node, attrName, fallback);
  };
  return [bound(1, 'min', Number.NEGATIVE_INFINITY), bound(2, 'max', Number.POSITIVE_INFINITY)];
}

/** tfjs activation for Clip bounds, if one matches. */
export function clipActivation(min: number, max: number): string | undefined {
  if (min === 0 && max === 6) return 'relu6';
  if (min === 0 && max === Number.POSITIVE_INFINITY) return 'relu';
  return undefined;
}

const clip: OpImporter = {
  opType: 'Clip',
  import(ctx) {
    const [min, max] = clipBounds(ctx);
    const activation = clipActivation(min, max) ?? ctx.fail(`Clip(${min}, ${max}) is supported only as relu (0, inf) or relu6 (0, 6)`);
    const x = ctx.value(0);
    ctx.set(ctx.node.output[0]!, { tensor: ctx.apply(tfl.layers.activation({ activation: activation as 'relu', name: ctx.layerName() }), x.tensor), perm: x.perm });
  },
};

const batchNormalization: OpImporter = {
  opType: 'BatchNormalization',
  import(ctx) {
    if (getAttr.int(ctx.node, 'training_mode', 0) !== 0 || ctx.node.output.filter((o) => o !== '').length > 1) ctx.fail('training mode is not supported');
    for (let i = 1; i <= 4; i++) if (!ctx.isConstant(i)) ctx.fail(`input ${i} must be an initializer`);
    const x = ctx.value(0);
    const axis = x.perm.indexOf(1);
    if (axis < 0) ctx.fail('input must have a channel axis');
    const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => floats(ctx.constant(i)));
    const c = mean!.length;
    const layer = tfl.layers.batchNormalization({ axis, epsilon: getAttr.float(ctx.node, 'epsilon', 1e-5), name: ctx.layerName() });
    const weights = [gamma!, beta!, mean!, variance!].map((v) => f32([c], v));
    ctx.set(ctx.node.output[0]!, { tensor: ctx.apply(layer, x.tensor, weights), perm: x.perm });
  },
};

const softmax: OpImporter = {
  opType: 'Softmax',
  import(ctx) {
    const x = ctx.value(0);
    const rank = x.perm.length;
    let axis = getAttr.int(ctx.node, 'axis', ctx.opset >= 13 ? -1 : 1);
    if (axis < 0) axis += rank;
    if (ctx.opset < 13 && axis !== rank - 1) ctx.fail(`axis ${axis} before opset 13 (softmax over flattened trailing axes) is supported only on the last axis`);
    const j = x.perm.indexOf(axis);
    const layer = j === rank - 1 ? tfl.layers.activation({ activation: 'softmax', name: ctx.layerName() }) : tfl.layers.softmax({ axis: j, name: ctx.layerName() });
    ctx.set(ctx.node.output[0]!, { tensor: ctx.apply(layer, x.tensor), perm: x.perm });
  },
};

function passThrough(opType: string): OpImporter {
  return {
    opType,
    import(ctx) {
      if (ctx.node.output.length > 1 && ctx.node.output[1] && ctx.consumers(ctx.node.output[1]).length > 0) ctx.fail('the mask output is not supported');
      // PyTorch's exporter shares equal initializers (e.g. the zero biases of BatchNorm-folded convs)
      // through Identity nodes: the output is then the same constant.
      if (ctx.isConstant(0)) ctx.setConstant(ctx.node.output[0]!, ctx.constant(0));
      else ctx.set(ctx.node.output[0]!, ctx.value(0));
    },
  };
}

const transpose: OpImporter = {
  opType: 'Transpose',
  import(ctx) {
    const x = ctx.value(0);
    const rank = x.perm.length;
    const p = getAttr.ints(ctx.node, 'perm', identity(rank).reverse());
    if (p[0] !== 0) ctx.fail(`perm [${p.join(',')}] moves the batch axis`);
    const inverse = new Array<number>(rank);
    p.forEach((axis, i) => {
      inverse[axis] = i;
    });
    // No tfjs layer: only the bookkeeping of which ONNX axis each tfjs axis holds changes.
    ctx.set(ctx.node.output[0]!, { tensor: x.tensor, perm: x.perm.map((a) => inverse[a]!) });
  },
};

const concat: OpImporter = {
  opType: 'Concat',
  import(ctx) {
    const values = ctx.node.input.map((_, i) => ctx.value(i));
    const first = values[0] ?? ctx.fail('needs inputs');
    const rank = first.perm.length;
    let axis = getAttr.int(ctx.node, 'axis', 1);
    if (axis < 0) axis += rank;
    const tensors = values.map((v) => ctx.withPerm(v, first.perm));
    const layer = tfl.layers.concatenate({ axis: first.perm.indexOf(axis), name: ctx.layerName() });
    ctx.set(ctx.node.output[0]!, { tensor: ctx.apply(layer, tensors), perm: first.perm });
  },
};

const constant: OpImporter = {
  opType: 'Constant',
  import(ctx) {
    ctx.setConstant(ctx.node.output[0]!, ctx.constantAttribute());
  },
};

const pad: OpImporter = {
  opType: 'Pad',
  import(ctx) {
    if (getAttr.string(ctx.node, 'mode', 'constant') !== 'constant') ctx.fail('only constant padding is supported');
    const pads = ctx.node.input.length > 1 && ctx.node.input[1] !== '' ? Array.from(ctx.constant(1).data as ArrayLike<number | bigint>, Number) : getAttr.ints(ctx.node, 'pads', []);
    const value = ctx.node.input.length > 2 && ctx.node.input[2] !== '' ? Number(ctx.constant(2).data[0]) : getAttr.float(ctx.node, 'value', 0);
    if (value !== 0) ctx.fail(`padding value ${value} is not supported (only 0)`);
    if (ctx.node.input.length > 3 && ctx.node.input[3] !== '') ctx.fail('the axes input is not supported');
    const [n0, c0, t, l, n1, c1, b, r] = pads as number[];
    if (pads.length !== 8 || n0 !== 0 || c0 !== 0 || n1 !== 0 || c1 !== 0) ctx.fail(`pads [${pads.join(',')}] are supported only on the two spatial axes of an NCHW tensor`);
    if (pads.every((p) => p === 0)) {
      ctx.set(ctx.node.output[0]!, ctx.value(0));
      return;
    }
    const input = ctx.withPerm(ctx.value(0), nhwc);
    const layer = tfl.layers.zeroPadding2d({ padding: [[t!, b!], [l!, r!]], name: ctx.layerName() });
    ctx.set(ctx.node.output[0]!, { tensor: ctx.apply(layer, input), perm: nhwc });
  },
};

/** The importers shrinkray registers for itself. */
export const builtinImporters: readonly OpImporter[] = [
  gemm,
  matMul,
  add,
  conv,
  poolImporter('MaxPool'),
  poolImporter('AveragePool'),
  globalAveragePool,
  flatten,
  reshape,
  activationImporter('Relu', 'relu'),
  activationImporter('Sigmoid', 'sigmoid'),
  activationImporter('Tanh', 'tanh'),
  clip,
  batchNormalization,
  softmax,
  passThrough('Identity'),
  passThrough('Dropout'),
  transpose,
  concat,
  constant,
  pad,
];
