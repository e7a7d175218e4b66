import { ConfigError, tf, type tfl } from '@shrinkray/tensor-core';
import { UnprunableStructureError } from './errors/unprunable-structure-error.js';
import { rebuildModel } from './rebuild.js';
import { LayerEmptiedError } from './errors/layer-emptied-error.js';
import { channelwiseClasses, inboundLayers, kernelOf, kernelRoles, outputLayerNames, prunableClasses, weightRole } from './graph.js';

type Layer = tfl.layers.Layer;
/** Indices removed along one axis of a layer's output (axis counted with the batch axis as 0). */
interface Removed {
  axis: number;
  idx: Int32Array;
}

const mergeClasses = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum']);
/** Element-wise layers: a removal on any axis passes through unchanged. */
const elementwiseClasses = new Set(['Activation', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'Dropout', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);
const none: Removed = { axis: -1, idx: new Int32Array(0) };

function sameSet(a: Removed, b: Removed): boolean {
  if (a.idx.length === 0 && b.idx.length === 0) return true;
  return a.axis === b.axis && a.idx.length === b.idx.length && a.idx.every((v, i) => v === b.idx[i]);
}

function describe(r: Removed): string {
  const idx = r.idx;
  return idx.length === 0 ? 'no channels' : `channels [${[...idx.slice(0, 8)].join(', ')}${idx.length > 8 ? ', …' : ''}] (${idx.length})`;
}

/**
 * A copy with its own data. The wasm backend's Gather records a 4-D shape for its output's data, which
 * its fused MatMul/Conv2D kernels then reject as a bias ("rank-1 bias but got rank 4").
 */
function materialize(t: tf.Tensor): tf.Tensor {
  return tf.tensor(t.dataSync(), t.shape, t.dtype);
}

function keepIndices(size: number, removed: ArrayLike<number>): Int32Array {
  const drop = new Set(Array.from(removed));
  const keep: number[] = [];
  for (let i = 0; i < size; i++) if (!drop.has(i)) keep.push(i);
  return Int32Array.from(keep);
}

function inputShape(layer: Layer, k = 0): (number | null)[] {
  const input = layer.input;
  const shapes = Array.isArray(input) ? input.map((s) => s.shape) : [input.shape];
  return shapes[k] ?? [];
}

/**
 * Physically removes output units of Dense layers and filters of Conv2D layers, returning a new, smaller
 * LayersModel (the input model is left untouched). Every consumer is rewritten: the next Dense/Conv2D
 * loses the matching input rows/channels, BatchNormalization loses the matching parameters, a Flatten
 * after a convolution maps the removed filters to their NHWC positions, and channel-wise layers
 * (activations, pooling, dropout) pass the removal through; a Concatenate on the last axis offsets it.
 * When the removed units are dead (zero kernel column, zero bias, zero BN gamma/beta, and an activation
 * with f(0)=0), the smaller model computes exactly the same function.
 *
 * Throws `UnprunableStructureError` naming the layer for a merge (e.g. residual `Add`) whose inputs lose
 * different channels, for a layer that mixes channels other than Dense/Conv2D (Reshape, Softmax…), or
 * when the model output would lose units; `LayerEmptiedError` when every unit of a layer is removed.
 *
 * @example
 * const small = await removeUnits(model, new Map([['hidden1', Int32Array.from([0, 5, 7])]]));
 */
export async function removeUnits(model: tfl.LayersModel, removals: ReadonlyMap<string, ArrayLike<number>>): Promise<tfl.LayersModel> {
  const removedOut = new Map<string, Removed>();
  const newWeights = new Map<string, tf.Tensor[]>();
  const newSizes = new Map<string, number>();
  for (const name of removals.keys()) {
    const layer = model.layers.find((l) => l.name === name);
    if (!layer) throw new ConfigError('removals', `model ${model.name} has no layer '${name}'`);
    if (!prunableClasses.has(layer.getClassName())) throw new UnprunableStructureError(name, `${layer.getClassName()} has no units to remove (Dense, Conv2D, Conv1D and Embedding only)`);
  }
  const outputs = outputLayerNames(model);
  try {
    for (const layer of model.layers) {
      const cls = layer.getClassName();
      const inputs = inboundLayers(layer).map((l) => removedOut.get(l.name) ?? none);
      const input = inputs[0] ?? none;
      const rank = inputShape(layer).length;
      const lastAxis = (r: Removed, what: string): Int32Array => {
        if (r.idx.length > 0 && r.axis !== rank - 1) {
          throw new UnprunableStructureError(layer.name, `${what} needs the removed units on its last axis, found them on axis ${r.axis}`);
        }
        return r.idx;
      };
      let out: Removed = none;
      if (cls === 'InputLayer') {
        out = none;
      } else if (prunableClasses.has(cls)) {
        const own = Int32Array.from(removals.get(layer.name) ?? []).sort();
        const weights = layer.weights;
        const kernelShape = kernelOf(layer)!.shape as number[];
        const units = kernelShape[kernelShape.length - 1]!;
        if (own.some((i) => i < 0 || i >= units)) throw new ConfigError('removals', `layer ${layer.name}: unit index out of range [0, ${units})`);
        const ownSet = Int32Array.from(new Set(own));
        const inputIdx = lastAxis(input, cls);
        if (ownSet.length >= units) throw new LayerEmptiedError(layer.name, cls.startsWith('Conv') ? 'filters' : 'units', units, ownSet.length / units);
        if (ownSet.length > 0 || inputIdx.length > 0) {
          const keepOut = keepIndices(units, ownSet);
          const inAxis = kernelShape.length - 2;
          const keepIn = keepIndices(kernelShape[inAxis]!, inputIdx);
          newWeights.set(
            layer.name,
            weights.map((w) =>
              tf.tidy(() => {
                const v = w.read();
                if (kernelRoles.has(weightRole(w))) return materialize(tf.gather(tf.gather(v, keepIn, inAxis), keepOut, kernelShape.length - 1));
                return materialize(tf.gather(v, keepOut, 0));
              }),
            ),
          );
          newSizes.set(layer.name, keepOut.length);
        }
        out = ownSet.length > 0 ? { axis: (layer.outputShape as (number | null)[]).length - 1, idx: ownSet } : none;
      } else if (elementwiseClasses.has(cls)) {
        out = input;
      } else if (channelwiseClasses.has(cls)) {
        if (cls === 'BatchNormalization' && input.idx.length > 0) {
          const configured = (layer.getConfig() as { axis?: number | number[] }).axis;
          const axis = typeof configured === 'number' && configured < 0 ? rank + configured : configured;
          if (axis !== input.axis) throw new UnprunableStructureError(layer.name, `BatchNormalization normalises axis ${String(configured)}, but the removed units are on axis ${input.axis}`);
          const size = layer.weights[0]!.shape[0] as number;
          const keep = keepIndices(size, input.idx);
          newWeights.set(
            layer.name,
            layer.weights.map((w) => tf.tidy(() => materialize(tf.gather(w.read(), keep, 0)))),
          );
        }
        if (cls !== 'BatchNormalization') lastAxis(input, cls);
        // global pooling drops the sequence/spatial axes: the channels become axis 1
        out = cls.startsWith('Global') && input.idx.length > 0 ? { axis: 1, idx: input.idx } : input;
      } else if (cls === 'MaskedMeanPooling1D') {
        // [embeddings [N, L, E], ids] -> [N, E]
        out = input.idx.length > 0 ? { axis: 1, idx: lastAxis(input, cls) } : none;
      } else if (cls === 'Permute') {
        if (input.idx.length > 0) {
          const dims = (layer.getConfig() as { dims: number[] }).dims;
          out = { axis: dims.indexOf(input.axis) + 1, idx: input.idx };
        }
      } else if (cls === 'Flatten') {
        if (input.idx.length > 0) {
          const shape = inputShape(layer);
          const dims = shape.slice(1);
          if (dims.some((d) => typeof d !== 'number')) throw new UnprunableStructureError(layer.name, `Flatten of a shape with unknown dimensions ${JSON.stringify(shape)}`);
          const total = (dims as number[]).reduce((a, b) => a * b, 1);
          const stride = (dims as number[]).slice(input.axis).reduce((a, b) => a * b, 1);
          const size = dims[input.axis - 1] as number;
          const drop = new Set(input.idx);
          const flat: number[] = [];
          // NHWC (or whatever the layout is) row-major: the removed coordinate along `axis` of every flat position
          for (let f = 0; f < total; f++) if (drop.has(Math.floor(f / stride) % size)) flat.push(f);
          out = { axis: 1, idx: Int32Array.from(flat) };
        }
      } else if (mergeClasses.has(cls)) {
        const first = inputs[0] ?? none;
        inputs.forEach((r, k) => {
          if (!sameSet(r, first)) {
            const names = inboundLayers(layer).map((l) => l.name);
            throw new UnprunableStructureError(layer.name, `${cls} inputs are pruned differently: ${names[0]} loses ${describe(first)}, ${names[k]} loses ${describe(r)}`);
          }
        });
        out = first;
      } else if (cls === 'Concatenate') {
        const axis = (layer.getConfig() as { axis?: number }).axis ?? -1;
        if (inputs.some((r) => r.idx.length > 0) && axis !== -1 && axis !== rank - 1) throw new UnprunableStructureError(layer.name, `Concatenate on axis ${axis} of pruned channels`);
        const flat: number[] = [];
        let offset = 0;
        inputs.forEach((r, k) => {
          for (const c of lastAxis(r, cls)) flat.push(offset + c);
          const shape = inputShape(layer, k);
          offset += shape[shape.length - 1] ?? 0;
        });
        out = flat.length > 0 ? { axis: rank - 1, idx: Int32Array.from(flat) } : none;
      } else if (inputs.some((r) => r.idx.length > 0)) {
        const source = inboundLayers(layer)[inputs.findIndex((r) => r.idx.length > 0)]?.name ?? '?';
        throw new UnprunableStructureError(layer.name, `${cls} mixes channels; cannot follow the units removed upstream (from ${source})`);
      }
      if (outputs.has(layer.name) && out.idx.length > 0) throw new UnprunableStructureError(layer.name, `it produces the model output, which would lose ${describe(out)}`);
      removedOut.set(layer.name, out);
    }

    return await rebuildModel(model, newSizes, newWeights);
  } finally {
    for (const list of newWeights.values()) for (const t of list) t.dispose();
  }
}

/** Total parameters of a model (every weight, trainable or not). */
export function countParams(model: tfl.LayersModel): number {
  return model.weights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

/** Parameters of a model that are not exactly zero. */
export function countNonzeroParams(model: tfl.LayersModel): number {
  let n = 0;
  for (const w of model.weights) {
    const data = w.read().dataSync();
    for (let i = 0; i < data.length; i++) if (data[i] !== 0) n++;
  }
  return n;
}
