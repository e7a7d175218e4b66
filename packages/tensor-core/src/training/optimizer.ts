import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors/config-error.js';
import { FusedAdamOptimizer } from '../wasm-kernels/fused-adam.js';
import type { OptimizerConfig } from './types.js';

const names = ['adam', 'sgd', 'momentum', 'rmsprop'] as const;

/**
 * A tfjs optimizer from `{ name, learningRate }`: `adam` (a {@link FusedAdamOptimizer}), `sgd`,
 * `momentum` (momentum 0.9) or `rmsprop`. Throws `ConfigError` for an unknown name or a learning rate that is not positive.
 */
export function createOptimizer(config: OptimizerConfig): tf.Optimizer {
  const { name, learningRate } = config;
  if (!Number.isFinite(learningRate) || learningRate <= 0) {
    throw new ConfigError('optimizer.learningRate', `must be a positive finite number, got ${learningRate}`);
  }
  switch (name) {
    case 'adam':
      // tfjs' Adam, updating all variables in one kernel call on the wasm backend.
      return new FusedAdamOptimizer(learningRate);
    case 'sgd':
      return tf.train.sgd(learningRate);
    case 'momentum':
      return tf.train.momentum(learningRate, 0.9);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate);
    default:
      throw new ConfigError('optimizer.name', `unknown optimizer '${String(name)}'; known: ${names.join(', ')}`);
  }
}
