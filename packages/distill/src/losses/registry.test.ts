import { ConfigError, initBackend, PluginError, tf } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { softTargetLoss } from './kd.js';
import { createLossRegistry, getLoss, listLosses, LossRegistry, lossRegistry } from './registry.js';
import type { DistillLoss } from './types.js';

const softOnly: DistillLoss = {
  name: 'soft-only',
  description: 'τ²·KL only',
  weight: 'none',
  create:
    ({ temperature }) =>
    ({ logits, targets }) =>
      softTargetLoss(logits, targets['teacher'] as tf.Tensor2D, temperature),
};

beforeAll(async () => {
  await initBackend();
});

describe('loss registry', () => {
  it('holds the built-ins hinton, additive and hint', () => {
    expect(listLosses()).toEqual(['hinton', 'additive', 'hint']);
    expect(getLoss('hinton').weight).toBe('alpha');
    expect(getLoss('additive').weight).toBe('lambda');
    expect(typeof getLoss('hint').prepare).toBe('function');
  });

  it('lists the registered names when a name is unknown', () => {
    const error = (() => {
      try {
        getLoss('hintn');
      } catch (e) {
        return e;
      }
    })();
    expect(PluginError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe('unknown distillation loss "hintn"; registered: hinton, additive, hint');
    expect((error as PluginError).registered).toEqual(['hinton', 'additive', 'hint']);
  });

  it('registers a plugin; the same object again is a no-op, a different one under the name throws', () => {
    const registry = createLossRegistry();
    registry.register(softOnly);
    registry.register(softOnly);
    expect(registry.list()).toEqual(['hinton', 'additive', 'hint', 'soft-only']);
    expect(registry.get('soft-only')).toBe(softOnly);
    expect(() => registry.register({ ...softOnly })).toThrow('a different distillation loss is already registered as "soft-only"');
    expect(() => registry.register({ ...softOnly, name: 'hinton' })).toThrow(PluginError);
    // The default registry is untouched by another registry.
    expect(lossRegistry.has('soft-only')).toBe(false);
  });

  it('rejects a plugin without a name or create()', () => {
    const registry = new LossRegistry();
    expect(() => registry.register({ name: '', description: '', weight: 'none', create: softOnly.create })).toThrow(ConfigError);
    expect(() => registry.register({ name: 'x', description: '', weight: 'none' } as unknown as DistillLoss)).toThrow(/needs a non-empty name and a create\(\) function/);
    expect(registry.list()).toEqual([]);
  });

  it('built-in losses build tensor-core losses that read the cached teacher logits', () => {
    const fn = getLoss('hinton').create({ temperature: 1, alpha: 1, lambda: 1, numClasses: 2 });
    const logits = tf.tensor2d([[0, 0]]);
    const labels = tf.tensor1d([0], 'int32');
    const v = fn({ logits, labels, targets: { teacher: tf.tensor2d([[Math.log(3), 0]]) }, x: logits, epoch: 1, step: 0 });
    expect(v.dataSync()[0]).toBeCloseTo(0.75 * Math.log(1.5) + 0.25 * Math.log(0.5), 6);
    expect(() => fn({ logits, labels, targets: {}, x: logits, epoch: 1, step: 0 })).toThrow(ConfigError);
  });
});
