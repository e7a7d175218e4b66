import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors/config-error.js';
import { FusedAdamOptimizer, FusedAdamWOptimizer } from '../wasm-kernels/fused-adam.js';
import { FusedMomentumOptimizer } from '../wasm-kernels/fused-momentum.js';
import type { OptimizerConfig } from './types.js';

const names = ['adam', 'adamw', 'sgd', 'momentum', 'rmsprop'] as const;

/**
 * A tfjs optimizer from `{ name, learningRate }`: `adam` (a {@link FusedAdamOptimizer}), `adamw` (a
 * {@link FusedAdamWOptimizer}, `weightDecay` default 0.01), `sgd`, `momentum` (a
 * {@link FusedMomentumOptimizer}, `momentum` default 0.9) or `rmsprop`. Throws `ConfigError` for an
 * unknown name, a learning rate that is not positive, or a weight decay / momentum outside [0, 1).
 */
export function createOptimizer(config: OptimizerConfig): tf.Optimizer {
  const { name, learningRate } = config;
  if (!Number.isFinite(learningRate) || learningRate <= 0) {
    throw new ConfigError('optimizer.learningRate', `must be a positive finite number, got ${learningRate}`);
  }
  const unit = (key: 'weightDecay' | 'momentum', fallback: number): number => {
    const value = config[key] ?? fallback;
    if (!Number.isFinite(value) || value < 0 || value >= 1) throw new ConfigError(`optimizer.${key}`, `must be a number in [0, 1), got ${value}`);
    return value;
  };
  switch (name) {
    case 'adam':
      // tfjs' Adam, updating all variables in one kernel call on the wasm backend.
      return new FusedAdamOptimizer(learningRate);
    case 'adamw':
      return new FusedAdamWOptimizer(learningRate, unit('weightDecay', 0.01));
    case 'sgd':
      return tf.train.sgd(learningRate);
    case 'momentum':
      return new FusedMomentumOptimizer(learningRate, unit('momentum', 0.9));
    case 'rmsprop':
      return tf.train.rmsprop(learningRate);
    default:
      throw new ConfigError('optimizer.name', `unknown optimizer '${String(name)}'; known: ${names.join(', ')}`);
  }
}
