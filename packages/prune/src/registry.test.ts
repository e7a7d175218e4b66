import { PluginError, Registry } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { criteria, type Criterion } from './criteria.js';
import { modes } from './modes.js';
import { schedules } from './schedules.js';

describe('registries', () => {
  it('hold the built-ins by name', () => {
    expect(criteria.list()).toEqual(['l1', 'l2', 'random', 'taylor']);
    expect(schedules.list()).toEqual(['one-shot', 'constant', 'polynomial']);
    expect(modes.list()).toEqual(['hard', 'soft-decay']);
    expect(criteria.get('l2').name).toBe('l2');
  });

  it('accept a plugin; the same object again is a no-op; a different one under a taken name throws', () => {
    const reg = new Registry<Criterion>('pruning criterion');
    const cubed: Criterion = { name: 'abs-cubed', scoreWeights: ({ weights }) => weights.map((w) => Math.abs(w) ** 3) };
    reg.register(cubed.name, cubed);
    reg.register(cubed.name, cubed);
    expect(reg.list()).toEqual(['abs-cubed']);
    expect(() => reg.register('abs-cubed', { name: 'abs-cubed', scoreWeights: ({ weights }) => weights })).toThrow(PluginError);
    expect(() => criteria.register('l1', { ...criteria.get('l1') })).toThrow('a different pruning criterion is already registered as "l1"');
  });

  it('unknown names list the registered ones', () => {
    expect(() => criteria.get('l3')).toThrow('unknown pruning criterion "l3"; registered: l1, l2, random, taylor');
    expect(() => modes.get('soft')).toThrow('unknown pruning mode "soft"; registered: hard, soft-decay');
    expect(() => schedules.get('cubic')).toThrow(PluginError);
  });
});
