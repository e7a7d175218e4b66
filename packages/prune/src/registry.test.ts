import { describe, expect, it } from 'vitest';
import { criteria, type Criterion } from './criteria.js';
import { DuplicatePluginError } from './errors/duplicate-plugin-error.js';
import { UnknownPluginError } from './errors/unknown-plugin-error.js';
import { modes } from './modes.js';
import { Registry } from './registry.js';
import { schedules } from './schedules.js';

describe('registries', () => {
  it('hold the built-ins by name', () => {
    expect(criteria.list()).toEqual(['l1', 'l2', 'random', 'taylor']);
    expect(schedules.list()).toEqual(['one-shot', 'constant', 'polynomial']);
    expect(modes.list()).toEqual(['hard', 'soft-decay']);
    expect(criteria.get('l2').name).toBe('l2');
  });

  it('accept a plugin, re-registering the same object is a no-op, a different one under a taken name throws', () => {
    const reg = new Registry<Criterion>('criterion');
    const cubed: Criterion = { name: 'abs-cubed', scoreWeights: ({ weights }) => weights.map((w) => Math.abs(w) ** 3) };
    reg.register(cubed);
    reg.register(cubed);
    expect(reg.list()).toEqual(['abs-cubed']);
    const other: Criterion = { name: 'abs-cubed', scoreWeights: ({ weights }) => weights };
    expect(() => reg.register(other)).toThrow(DuplicatePluginError);
    expect(() => criteria.register({ ...criteria.get('l1') })).toThrow(/criterion is already registered as 'l1'/);
  });

  it('unknown names list the registered ones', () => {
    let error: unknown;
    try {
      criteria.get('l3');
    } catch (e) {
      error = e;
    }
    expect(UnknownPluginError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe("unknown criterion 'l3'; registered: l1, l2, random, taylor");
  });
});
