import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/config-error.js';
import { FusedAdamOptimizer, FusedAdamWOptimizer } from '../wasm-kernels/fused-adam.js';
import { FusedMomentumOptimizer } from '../wasm-kernels/fused-momentum.js';
import { createOptimizer } from './optimizer.js';

describe('createOptimizer', () => {
  it('builds the fused optimizers with their defaults and options', () => {
    expect(createOptimizer({ name: 'adam', learningRate: 0.01 })).toBeInstanceOf(FusedAdamOptimizer);
    const adamw = createOptimizer({ name: 'adamw', learningRate: 0.01 });
    expect(adamw).toBeInstanceOf(FusedAdamWOptimizer);
    expect(adamw.getConfig()).toMatchObject({ learningRate: 0.01, weightDecay: 0.01 });
    expect(createOptimizer({ name: 'adamw', learningRate: 0.01, weightDecay: 0.2 }).getConfig()['weightDecay']).toBe(0.2);
    const momentum = createOptimizer({ name: 'momentum', learningRate: 0.05 });
    expect(momentum).toBeInstanceOf(FusedMomentumOptimizer);
    expect(momentum).toBeInstanceOf(tf.MomentumOptimizer);
    expect(momentum.getConfig()).toMatchObject({ learningRate: 0.05, momentum: 0.9, useNesterov: false });
    expect(createOptimizer({ name: 'momentum', learningRate: 0.05, momentum: 0.5 }).getConfig()['momentum']).toBe(0.5);
  });

  it('refuses a weight decay or momentum outside [0, 1) with a ConfigError naming the key', () => {
    expect(() => createOptimizer({ name: 'adamw', learningRate: 0.01, weightDecay: 1.5 })).toThrow(/optimizer\.weightDecay/);
    expect(() => createOptimizer({ name: 'momentum', learningRate: 0.01, momentum: -0.1 })).toThrow(ConfigError);
    expect(() => createOptimizer({ name: 'adamw', learningRate: 0 })).toThrow(/optimizer\.learningRate/);
  });
});
