import { attr } from '../attributes.js';
import type { ExportContext, ExportValue, LayerExporter } from './types.js';

/** `3` or `[3, 3]` -> `[3, 3]`. */
export function pair(v: unknown, fallback: number): [number, number] {
  if (Array.isArray(v)) return [Number(v[0] ?? fallback), Number(v[1] ?? v[0] ?? fallback)];
  if (typeof v === 'number') return [v, v];
  return [fallback, fallback];
}

/** tfjs `same` padding for one spatial axis: [begin, end] (extra at the end, as TensorFlow does). */
export function samePads(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

function channelsLast(ctx: ExportContext): void {
  const format = ctx.config['dataFormat'];
  if (format !== undefined && format !== 'channelsLast') ctx.fail(`dataFormat '${String(format)}' is not supported (only channelsLast)`);
}

function spatial(ctx: ExportContext, input: ExportValue): [number, number] {
  const [, h, w] = input.shape;
  if (input.shape.length !== 4 || typeof h !== 'number' || typeof w !== 'number') ctx.fail(`needs a rank-4 input with known height and width, got [${input.shape.join(',')}]`);
  return [h, w];
}

/** ONNX `pads` ([top, left, bottom, right]) for tfjs `valid` or `same` padding. */
function pads(ctx: ExportContext, input: ExportValue, kernel: [number, number], strides: [number, number], dilations: [number, number]): number[] {
  const padding = ctx.config['padding'] ?? 'valid';
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same') ctx.fail(`padding '${String(padding)}' is not supported`);
  const [h, w] = spatial(ctx, input);
  const [t, b] = samePads(h, kernel[0], strides[0], dilations[0]);
  const [l, r] = samePads(w, kernel[1], strides[1], dilations[1]);
  return [t, l, b, r];
}

/** The layer's single input; fails naming the layer otherwise. */
export function only(ctx: ExportContext): ExportValue {
  const input = ctx.inputs[0];
  if (ctx.inputs.length !== 1 || !input) ctx.fail(`expects one input, got ${ctx.inputs.length}`);
  return input;
}

/** The layer weight ending in `/suffix`; fails naming the layer when it is missing. */
export function required(ctx: ExportContext, suffix: string) {
  const w = ctx.weight(suffix);
  if (!w) ctx.fail(`has no weight '${suffix}'`);
  return w;
}

const dense: LayerExporter = {
  className: 'Dense',
  export(ctx) {
    const input = only(ctx);
    const kernel = required(ctx, 'kernel');
    const bias = ctx.config['useBias'] === false ? undefined : ctx.weight('bias');
    const x = ctx.inLayout(input, 'tfjs');
    const w = ctx.constant('kernel', kernel.data, kernel.shape);
    const b = bias ? ctx.constant('bias', bias.data, bias.shape) : undefined;
    const out = ctx.name(ctx.config['activation'] && ctx.config['activation'] !== 'linear' ? 'linear' : undefined);
    if (input.shape.length === 2) {
      ctx.builder.node('Gemm', b ? [x, w, b] : [x, w], [out], [], ctx.name('Gemm'));
    } else {
      const mm = b ? ctx.name('matmul') : out;
      ctx.builder.node('MatMul', [x, w], [mm], [], ctx.name('MatMul'));
      if (b) ctx.builder.node('Add', [mm, b], [out], [], ctx.name('Add'));
    }
    return ctx.activation({ name: out, layout: 'tfjs', shape: ctx.outputShape }, ctx.config['activation'] as string | undefined);
  },
};

function convExport(ctx: ExportContext, depthwise: boolean): ExportValue {
  channelsLast(ctx);
  const input = only(ctx);
  const kernel = required(ctx, depthwise ? 'depthwise_kernel' : 'kernel');
  const bias = ctx.config['useBias'] === false ? undefined : ctx.weight('bias');
  const strides = pair(ctx.config['strides'], 1);
  const dilations = pair(ctx.config['dilationRate'], 1);
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
  // tfjs [kh,kw,in,out] (depthwise: [kh,kw,in,mult]) -> ONNX [out,in/group,kh,kw].
  const outChannels = depthwise ? cin * cout : cout;
  const w = new Float32Array(kernel.data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) {
          const src = ((y * kw + x) * cin + i) * cout + o;
          const dst = depthwise ? ((i * cout + o) * kh + y) * kw + x : ((o * cin + i) * kh + y) * kw + x;
          w[dst] = kernel.data[src]!;
        }
      }
    }
  }
  const inputs = [ctx.inLayout(input, 'nchw'), ctx.constant('kernel', w, depthwise ? [outChannels, 1, kh, kw] : [cout, cin, kh, kw])];
  if (bias) inputs.push(ctx.constant('bias', bias.data, bias.shape));
  const out = ctx.name(ctx.config['activation'] && ctx.config['activation'] !== 'linear' ? 'linear' : undefined);
  const attributes = [
    attr.ints('kernel_shape', [kh, kw]),
    attr.ints('strides', strides),
    attr.ints('dilations', dilations),
    attr.ints('pads', pads(ctx, input, [kh, kw], strides, dilations)),
    attr.int('group', depthwise ? cin : 1),
  ];
  ctx.builder.node('Conv', inputs, [out], attributes, ctx.name('Conv'));
  return ctx.activation({ name: out, layout: 'nchw', shape: ctx.outputShape }, ctx.config['activation'] as string | undefined);
}

const conv2d: LayerExporter = { className: 'Conv2D', export: (ctx) => convExport(ctx, false) };
const depthwiseConv2d: LayerExporter = { className: 'DepthwiseConv2D', export: (ctx) => convExport(ctx, true) };

function poolExport(ctx: ExportContext, op: 'MaxPool' | 'AveragePool'): ExportValue {
  channelsLast(ctx);
  const input = only(ctx);
  const ks = pair(ctx.config['poolSize'], 2);
  const strides = pair(ctx.config['strides'] ?? ctx.config['poolSize'], 2);
  const out = ctx.name();
  const attributes = [attr.ints('kernel_shape', ks), attr.ints('strides', strides), attr.ints('pads', pads(ctx, input, ks, strides, [1, 1]))];
  ctx.builder.node(op, [ctx.inLayout(input, 'nchw')], [out], attributes, ctx.name(op));
  return { name: out, layout: 'nchw', shape: ctx.outputShape };
}

const maxPooling2d: LayerExporter = { className: 'MaxPooling2D', export: (ctx) => poolExport(ctx, 'MaxPool') };
const averagePooling2d: LayerExporter = { className: 'AveragePooling2D', export: (ctx) => poolExport(ctx, 'AveragePool') };

const globalAveragePooling2d: LayerExporter = {
  className: 'GlobalAveragePooling2D',
  export(ctx) {
    channelsLast(ctx);
    const input = only(ctx);
    const pooled = ctx.name('pool');
    const out = ctx.name();
    ctx.builder.node('GlobalAveragePool', [ctx.inLayout(input, 'nchw')], [pooled], [], ctx.name('GlobalAveragePool'));
    ctx.builder.node('Flatten', [pooled], [out], [attr.int('axis', 1)], ctx.name('Flatten'));
    return { name: out, layout: 'tfjs', shape: ctx.outputShape };
  },
};

const flatten: LayerExporter = {
  className: 'Flatten',
  export(ctx) {
    const input = only(ctx);
    const out = ctx.name();
    // tfjs flattens in NHWC order: transpose back from NCHW first.
    ctx.builder.node('Flatten', [ctx.inLayout(input, 'tfjs')], [out], [attr.int('axis', 1)], ctx.name('Flatten'));
    return { name: out, layout: 'tfjs', shape: ctx.outputShape };
  },
};

const reshape: LayerExporter = {
  className: 'Reshape',
  export(ctx) {
    const input = only(ctx);
    const target = (ctx.config['targetShape'] as number[] | undefined) ?? ctx.fail('has no targetShape');
    const shape = ctx.constant('shape', BigInt64Array.from([0, ...target].map((d) => BigInt(d))), [target.length + 1]);
    const out = ctx.name();
    ctx.builder.node('Reshape', [ctx.inLayout(input, 'tfjs'), shape], [out], [], ctx.name('Reshape'));
    return { name: out, layout: 'tfjs', shape: ctx.outputShape };
  },
};

const dropout: LayerExporter = {
  className: 'Dropout',
  export(ctx) {
    const input = only(ctx);
    const out = ctx.name();
    // Inference: identity.
    ctx.builder.node('Identity', [input.name], [out], [], ctx.name('Identity'));
    return { name: out, layout: input.layout, shape: ctx.outputShape };
  },
};

const batchNormalization: LayerExporter = {
  className: 'BatchNormalization',
  export(ctx) {
    const input = only(ctx);
    const rank = input.shape.length;
    const axis = Number(ctx.config['axis'] ?? -1);
    if (axis !== -1 && axis !== rank - 1) ctx.fail(`axis ${axis} is not supported (only the last axis)`);
    if (rank !== 2 && rank !== 4) ctx.fail(`input rank ${rank} is not supported (2 or 4)`);
    const mean = required(ctx, 'moving_mean');
    const variance = required(ctx, 'moving_variance');
    const channels = mean.data.length;
    const gamma = ctx.config['scale'] === false ? undefined : ctx.weight('gamma');
    const beta = ctx.config['center'] === false ? undefined : ctx.weight('beta');
    const inputs = [
      ctx.inLayout(input, rank === 4 ? 'nchw' : 'tfjs'),
      ctx.constant('gamma', gamma?.data ?? new Float32Array(channels).fill(1), [channels]),
      ctx.constant('beta', beta?.data ?? new Float32Array(channels), [channels]),
      ctx.constant('moving_mean', mean.data, [channels]),
      ctx.constant('moving_variance', variance.data, [channels]),
    ];
    const out = ctx.name();
    ctx.builder.node('BatchNormalization', inputs, [out], [attr.float('epsilon', Number(ctx.config['epsilon'] ?? 1e-3))], ctx.name('BatchNormalization'));
    return { name: out, layout: rank === 4 ? 'nchw' : 'tfjs', shape: ctx.outputShape };
  },
};

const activation: LayerExporter = {
  className: 'Activation',
  export(ctx) {
    const input = only(ctx);
    const act = String(ctx.config['activation'] ?? 'linear');
    if (act === 'linear') {
      const out = ctx.name();
      ctx.builder.node('Identity', [input.name], [out], [], ctx.name('Identity'));
      return { name: out, layout: input.layout, shape: ctx.outputShape };
    }
    return ctx.activation({ ...input, shape: ctx.outputShape }, act);
  },
};

const relu: LayerExporter = {
  className: 'ReLU',
  export(ctx) {
    const input = only(ctx);
    const max = ctx.config['maxValue'];
    if (max === null || max === undefined) return ctx.activation(input, 'relu');
    if (max === 6) return ctx.activation(input, 'relu6');
    return ctx.fail(`maxValue ${String(max)} is not supported (none or 6)`);
  },
};

function elementwise(ctx: ExportContext, op: 'Add'): ExportValue {
  if (ctx.inputs.length < 2) ctx.fail(`expects at least two inputs, got ${ctx.inputs.length}`);
  const layout = ctx.inputs.every((v) => v.layout === 'nchw') ? 'nchw' : 'tfjs';
  const names = ctx.inputs.map((v) => ctx.inLayout(v, layout));
  let acc = names[0]!;
  for (let i = 1; i < names.length; i++) {
    const out = i === names.length - 1 ? ctx.name() : ctx.name(`${op.toLowerCase()}${i}`);
    ctx.builder.node(op, [acc, names[i]!], [out], [], ctx.name(`${op}${i}`));
    acc = out;
  }
  return { name: acc, layout, shape: ctx.outputShape };
}

const add: LayerExporter = { className: 'Add', export: (ctx) => elementwise(ctx, 'Add') };

/** tfjs axis of an NHWC rank-4 tensor -> the same axis in NCHW. */
const nhwcToNchwAxis = [0, 2, 3, 1];

const concatenate: LayerExporter = {
  className: 'Concatenate',
  export(ctx) {
    if (ctx.inputs.length < 2) ctx.fail(`expects at least two inputs, got ${ctx.inputs.length}`);
    const rank = ctx.inputs[0]!.shape.length;
    let axis = Number(ctx.config['axis'] ?? -1);
    if (axis < 0) axis += rank;
    const nchw = rank === 4 && ctx.inputs.every((v) => v.layout === 'nchw');
    const names = ctx.inputs.map((v) => ctx.inLayout(v, nchw ? 'nchw' : 'tfjs'));
    const out = ctx.name();
    ctx.builder.node('Concat', names, [out], [attr.int('axis', nchw ? nhwcToNchwAxis[axis]! : axis)], ctx.name('Concat'));
    return { name: out, layout: nchw ? 'nchw' : 'tfjs', shape: ctx.outputShape };
  },
};

const softmax: LayerExporter = {
  className: 'Softmax',
  export(ctx) {
    const input = only(ctx);
    const rank = input.shape.length;
    let axis = Number((ctx.config['axis'] as number | number[] | undefined) ?? -1);
    if (axis < 0) axis += rank;
    if (axis !== rank - 1) ctx.fail(`axis ${axis} is not supported (only the last axis)`);
    return ctx.activation(input, 'softmax');
  },
};

const zeroPadding2d: LayerExporter = {
  className: 'ZeroPadding2D',
  export(ctx) {
    channelsLast(ctx);
    const input = only(ctx);
    const p = ctx.config['padding'];
    const [[t, b], [l, r]] = (Array.isArray(p) && Array.isArray(p[0]) ? p : [pair(p, 1), pair(p, 1)]) as [[number, number], [number, number]];
    const pads = ctx.constant('pads', BigInt64Array.from([0, 0, t, l, 0, 0, b, r].map(BigInt)), [8]);
    const out = ctx.name();
    ctx.builder.node('Pad', [ctx.inLayout(input, 'nchw'), pads], [out], [attr.string('mode', 'constant')], ctx.name('Pad'));
    return { name: out, layout: 'nchw', shape: ctx.outputShape };
  },
};

const permute: LayerExporter = {
  className: 'Permute',
  export(ctx) {
    const input = only(ctx);
    const dims = (ctx.config['dims'] as number[] | undefined) ?? ctx.fail('has no dims');
    const out = ctx.name();
    ctx.builder.node('Transpose', [ctx.inLayout(input, 'tfjs')], [out], [attr.ints('perm', [0, ...dims])], ctx.name('Transpose'));
    return { name: out, layout: 'tfjs', shape: ctx.outputShape };
  },
};

/** The exporters shrinkray registers for itself. */
export const builtinExporters: readonly LayerExporter[] = [
  dense,
  conv2d,
  depthwiseConv2d,
  maxPooling2d,
  averagePooling2d,
  globalAveragePooling2d,
  flatten,
  reshape,
  dropout,
  batchNormalization,
  activation,
  relu,
  softmax,
  add,
  concatenate,
  zeroPadding2d,
  permute,
];
