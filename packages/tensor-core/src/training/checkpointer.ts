import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../errors/config-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { formatShape } from '../tensor.js';
import { type CheckpointState, type EarlyStoppingState, extraGroup, loadLatestCheckpoint, type NamedArray, saveCheckpoint } from './checkpoint.js';
import type { EpochMetrics, ExtraState } from './types.js';

/** A copy of every weight of `model`, in `model.weights` order. */
export function modelArrays(model: tfl.LayersModel): NamedArray[] {
  return model.weights.map((w, i) => {
    const t = w.read();
    const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
    return { name: `${i}:${w.originalName}`, dtype, shape: [...t.shape], data: (t.dataSync() as Float32Array | Int32Array).slice() };
  });
}

/** Sets every weight of `model` from `modelArrays` output; `source` names the origin in errors. */
export function setModelArrays(model: tfl.LayersModel, arrays: readonly NamedArray[], source: string): void {
  const weights = model.weights;
  if (arrays.length !== weights.length) {
    throw new ConfigError('resume', `${source} holds ${arrays.length} weights, the model has ${weights.length}`);
  }
  const tensors = arrays.map((a, i) => {
    const expected = weights[i]!.shape;
    if (formatShape(expected) !== formatShape(a.shape)) {
      throw new ShapeMismatchError({ tensor: `weight ${weights[i]!.originalName} in ${source}`, expected: formatShape(expected), found: formatShape(a.shape) });
    }
    return tf.tensor(a.data, a.shape, a.dtype);
  });
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/**
 * Running products β₁ᵗ, β₂ᵗ of Adam-style optimizers. `setWeights` recomputes them as `pow(β, t)`,
 * which differs in the last bits from the product an uninterrupted run has accumulated, so they are
 * saved and put back: a resumed run then continues bit for bit.
 */
const runningProducts = ['accBeta1', 'accBeta2'] as const;
const productPrefix = '__running__/';

function runningProductVariables(optimizer: tf.Optimizer): [string, tf.Variable][] {
  const fields = optimizer as unknown as Record<string, unknown>;
  return runningProducts.flatMap((name) => (fields[name] instanceof tf.Variable ? [[name, fields[name] as tf.Variable] as [string, tf.Variable]] : []));
}

async function optimizerArrays(optimizer: tf.Optimizer): Promise<NamedArray[]> {
  const named = [...(await optimizer.getWeights()), ...runningProductVariables(optimizer).map(([name, tensor]) => ({ name: productPrefix + name, tensor }))];
  try {
    return named.map(({ name, tensor }) => ({
      name,
      dtype: tensor.dtype === 'int32' ? 'int32' : 'float32',
      shape: [...tensor.shape],
      data: (tensor.dataSync() as Float32Array | Int32Array).slice(),
    }));
  } finally {
    // getWeights returns the slot variables themselves (keep) and a fresh `iter` scalar (dispose).
    for (const { tensor } of named) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  }
}

async function setOptimizerArrays(optimizer: tf.Optimizer, arrays: readonly NamedArray[]): Promise<void> {
  const slots = arrays.filter((a) => !a.name.startsWith(productPrefix));
  const named = slots.map((a) => ({ name: a.name, tensor: tf.tensor(a.data, a.shape, a.dtype) }));
  try {
    await optimizer.setWeights(named);
  } finally {
    tf.dispose(named.map((n) => n.tensor));
  }
  for (const [name, variable] of runningProductVariables(optimizer)) {
    const saved = arrays.find((a) => a.name === productPrefix + name);
    if (saved) tf.tidy(() => variable.assign(tf.tensor(saved.data, saved.shape, saved.dtype)));
  }
}

/** Where a run stands: what a checkpoint holds besides the arrays. */
export interface RunPosition {
  /** Completed epochs. */
  epoch: number;
  /** Completed optimizer steps. */
  step: number;
  history: EpochMetrics[];
  earlyStopping: EarlyStoppingState;
  /** The best epoch's weights kept by early stopping. */
  best: NamedArray[] | undefined;
}

/**
 * Writes and reads the training checkpoints of one run: model weights, optimizer slots, position,
 * history, early-stopping state and every named extra state, all in ONE file written atomically
 * (so a kill at any moment leaves either the previous or the new checkpoint, never a mix).
 */
export class Checkpointer {
  constructor(
    private readonly dir: string | undefined,
    private readonly keep: number,
    /** Settings a resumed run must share with the run that wrote the checkpoint. */
    private readonly fingerprint: Record<string, string | number>,
    private readonly extra: Readonly<Record<string, ExtraState>>,
  ) {}

  /**
   * Restores the newest checkpoint into `model`, `optimizer` and the extra states; `undefined` when
   * there is none (a fresh start).
   *
   * @throws ConfigError when the checkpoint was written by another run (seed, batch size, data size,
   * optimizer, weight shapes) or lacks one of the extra states.
   */
  async resume(model: tfl.LayersModel, optimizer: tf.Optimizer): Promise<(RunPosition & { path: string }) | undefined> {
    if (!this.dir) return undefined;
    const found = await loadLatestCheckpoint(this.dir);
    if (!found) return undefined;
    const { state, path } = found;
    for (const [key, value] of Object.entries(this.fingerprint)) {
      if (state.fingerprint[key] !== value) throw new ConfigError('resume', `${path} was written with ${key} = ${state.fingerprint[key]}, this run has ${value}`);
    }
    const extras = Object.entries(this.extra).map(([name, s]) => {
      const json = state.extra?.[name];
      const arrays = state.groups[extraGroup(name)];
      if (json === undefined && arrays === undefined) throw new ConfigError('resume', `${path} holds no '${name}' state`);
      return { state: s, snapshot: { json: json ?? null, arrays: arrays ?? [] } };
    });
    setModelArrays(model, state.groups['model'] ?? [], path);
    await setOptimizerArrays(optimizer, state.groups['optimizer'] ?? []);
    for (const { state: s, snapshot } of extras) await s.restore(snapshot);
    return { path, epoch: state.epoch, step: state.step, history: state.history, earlyStopping: state.earlyStopping, best: state.groups['best'] };
  }

  /** Writes the checkpoint of `position.epoch` (when the run has a directory); returns its path. */
  async save(model: tfl.LayersModel, optimizer: tf.Optimizer, position: RunPosition): Promise<string | undefined> {
    if (!this.dir) return undefined;
    const groups: Record<string, NamedArray[]> = { model: modelArrays(model), optimizer: await optimizerArrays(optimizer) };
    if (position.best) groups['best'] = position.best;
    const extra: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(this.extra)) {
      const snapshot = await s.save();
      extra[name] = snapshot.json ?? null;
      if (snapshot.arrays) groups[extraGroup(name)] = snapshot.arrays;
    }
    const state: CheckpointState = {
      epoch: position.epoch,
      step: position.step,
      fingerprint: this.fingerprint,
      history: position.history,
      earlyStopping: position.earlyStopping,
      groups,
      extra,
    };
    return saveCheckpoint(this.dir, state, this.keep);
  }
}
