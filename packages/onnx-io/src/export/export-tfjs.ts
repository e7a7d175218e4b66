import { initBackend, Registry, type tfl } from '@shrinkray/tensor-core';
import { attr } from '../attributes.js';
import { GraphBuilder } from '../builder.js';
import { UnsupportedLayerError } from '../errors/unsupported-layer-error.js';
import type { ModelProto } from '../types.js';
import type { ExportContext, ExportValue, Layout, LayerExporter, LayerWeight } from './types.js';

/**
 * Layer exporters keyed by tfjs class name, on the process-wide `Registry.shared('layer-exporter')`.
 * Plugins call `layerExporters.register(...)`; the package entry point registers `builtinExporters`.
 */
export const layerExporters = Registry.shared<LayerExporter>('layer-exporter', 'tfjs layer exporter');

/** Options for `exportTfjs`. */
export interface ExportOptions {
  /** Default-domain opset (default 17; at least 13 for per-axis Softmax). */
  opset?: number;
  /** Graph name (default: the model's name). */
  name?: string;
  /** Name of the batch dimension (default `N`). */
  batchDim?: string;
  /**
   * ONNX type of integer (token-id) inputs, int32 in tfjs: `int32` (default) or `int64`, what
   * Hugging Face / Optimum models and transformers.js feed as `input_ids`.
   */
  integerInputs?: 'int32' | 'int64';
}

interface SymbolicLike {
  id: number;
  shape: (number | null)[];
  dtype?: string;
}

const supportedActivations = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax'];

/**
 * Converts a tfjs LayersModel (Sequential or functional) to an ONNX model (opset 17 by default).
 * Image inputs stay NHWC (`[N,H,W,C]`) as in tfjs; Conv/Pool/BatchNormalization run in NCHW behind
 * Transpose nodes, and values are transposed back before Flatten/Reshape/Dense so outputs match
 * tfjs exactly. Every layer goes through the `layerExporters` registry.
 *
 * @example
 * const onnx = await exportTfjs(model);
 * await saveOnnx(onnx, 'student.onnx');
 */
export async function exportTfjs(model: tfl.LayersModel, options: ExportOptions = {}): Promise<ModelProto> {
  await initBackend();
  const opset = options.opset ?? 17;
  const builder = new GraphBuilder(options.name ?? model.name);
  const values = new Map<number, ExportValue>();
  const transposed = new Map<string, string>();
  const batch = options.batchDim ?? 'N';
  const integerType = options.integerInputs === 'int64' ? 7 : 6;

  for (const input of model.inputs as unknown as SymbolicLike[]) {
    const layer = (input as unknown as { sourceLayer: tfl.layers.Layer }).sourceLayer;
    const name = builder.uniqueName(layer.name);
    // Token-id inputs (int32 in tfjs) are INT32 (or INT64 on request); everything else is FLOAT.
    builder.graph.input.push({ name, type: { tensorType: { elemType: input.dtype === 'int32' ? integerType : 1, shape: { dim: input.shape.map((d, i) => (typeof d === 'number' ? { dimValue: d } : { dimParam: i === 0 ? batch : `d${i}` })) } } } });
    values.set(input.id, { name, layout: 'tfjs', shape: input.shape });
  }

  const inLayout = (value: ExportValue, layout: Layout): string => {
    if (value.layout === layout || value.shape.length !== 4) return value.name;
    const key = `${value.name}->${layout}`;
    const cached = transposed.get(key);
    if (cached) return cached;
    const out = builder.uniqueName(`${value.name}/${layout === 'nchw' ? 'nchw' : 'nhwc'}`);
    builder.node('Transpose', [value.name], [out], [attr.ints('perm', layout === 'nchw' ? [0, 3, 1, 2] : [0, 2, 3, 1])], out);
    transposed.set(key, out);
    return out;
  };

  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    const node = layer.inboundNodes.find((n) => (n.inputTensors as unknown as SymbolicLike[]).every((t) => values.has(t.id)));
    if (!node) {
      throw new UnsupportedLayerError({ layer: layer.name, className, supported: layerExporters.list(), detail: 'its inputs are not produced by this model (nested or shared models are not supported)' });
    }
    const fail = (detail: string): never => {
      throw new UnsupportedLayerError({ layer: layer.name, className, supported: layerExporters.list(), detail });
    };
    if (!layerExporters.has(className)) fail('layer class not supported');
    const exporter = layerExporters.get(className);
    const weightsCache: { values?: Float32Array[] } = {};
    const outputs = node.outputTensors as unknown as SymbolicLike[];
    if (outputs.length !== 1) fail(`has ${outputs.length} outputs; only single-output layers are supported`);
    const ctx: ExportContext = {
      builder,
      layer,
      className,
      config: layer.getConfig() as Record<string, unknown>,
      inputs: (node.inputTensors as unknown as SymbolicLike[]).map((t) => values.get(t.id)!),
      outputShape: outputs[0]!.shape,
      inLayout,
      name: (suffix?: string) => builder.uniqueName(suffix ? `${layer.name}/${suffix}` : layer.name),
      weight(suffix: string): LayerWeight | undefined {
        const index = layer.weights.findIndex((w) => w.originalName.endsWith(`/${suffix}`) || w.name.endsWith(`/${suffix}`));
        if (index < 0) return undefined;
        weightsCache.values ??= layer.getWeights().map((t) => t.dataSync() as Float32Array);
        return { data: Float32Array.from(weightsCache.values[index]!), shape: [...layer.weights[index]!.shape] as number[] };
      },
      constant(suffix: string, data: Float32Array | BigInt64Array, dims: readonly number[]): string {
        return builder.initializer(builder.uniqueName(`${layer.name}/${suffix}`), data, dims);
      },
      activation(value: ExportValue, act: string | undefined): ExportValue {
        return applyActivation(ctx, value, act ?? 'linear');
      },
      fail,
    };
    values.set(outputs[0]!.id, exporter.export(ctx));
  }

  for (const output of model.outputs as unknown as SymbolicLike[]) {
    const value = values.get(output.id);
    if (!value) throw new UnsupportedLayerError({ layer: model.name, className: 'LayersModel', supported: layerExporters.list(), detail: 'an output is not produced by any exported layer' });
    const name = inLayout(value, 'tfjs');
    builder.graph.output.push({ name, type: { tensorType: { elemType: 1, shape: { dim: output.shape.map((d, i) => (typeof d === 'number' ? { dimValue: d } : { dimParam: i === 0 ? batch : `d${i}` })) } } } });
  }
  return builder.build({ opset, producerName: 'shrinkray', producerVersion: '0.1.0' });
}

function applyActivation(ctx: ExportContext, value: ExportValue, act: string): ExportValue {
  if (act === 'linear') return value;
  const b = ctx.builder;
  const nodeName = (op: string) => `${ctx.layer.name}/${op}`;
  switch (act) {
    case 'relu':
    case 'sigmoid':
    case 'tanh': {
      const op = act === 'relu' ? 'Relu' : act === 'sigmoid' ? 'Sigmoid' : 'Tanh';
      const out = ctx.name();
      b.node(op, [value.name], [out], [], nodeName(op));
      return { ...value, name: out };
    }
    case 'relu6': {
      const lo = ctx.constant('clip_min', new Float32Array([0]), []);
      const hi = ctx.constant('clip_max', new Float32Array([6]), []);
      const out = ctx.name();
      b.node('Clip', [value.name, lo, hi], [out], [], nodeName('Clip'));
      return { ...value, name: out };
    }
    case 'softmax': {
      const input = ctx.inLayout(value, 'tfjs');
      const out = ctx.name();
      b.node('Softmax', [input], [out], [attr.int('axis', -1)], nodeName('Softmax'));
      return { ...value, name: out, layout: 'tfjs' };
    }
    default:
      return ctx.fail(`activation '${act}' is not supported (supported: ${supportedActivations.join(', ')})`);
  }
}
