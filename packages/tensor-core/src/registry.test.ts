import { describe, expect, it } from 'vitest';
import { PluginError } from './errors/plugin-error.js';
import { Registry } from './registry.js';

describe('Registry', () => {
  it('registers, gets and lists in registration order', () => {
    const r = new Registry<{ f: number }>('criterion');
    const a = { f: 1 };
    const b = { f: 2 };
    r.register('b', b);
    r.register('a', a);
    expect(r.get('a')).toBe(a);
    expect(r.has('b')).toBe(true);
    expect(r.has('c')).toBe(false);
    expect(r.list()).toEqual(['b', 'a']);
  });

  it('re-registering the same object is a no-op; a different one under a taken name throws', () => {
    const r = new Registry<{ f: number }>('aggregator');
    const a = { f: 1 };
    r.register('mean', a);
    expect(() => r.register('mean', a)).not.toThrow();
    const conflict = (() => {
      try {
        r.register('mean', { f: 1 });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(PluginError.isInstance(conflict)).toBe(true);
    expect((conflict as PluginError).code).toBe('PLUGIN_CONFLICT');
    expect((conflict as PluginError).message).toBe('a different aggregator is already registered as "mean"');
  });

  it('a named plugin object registers under its own name', () => {
    const r = new Registry<{ name: string; f: number }>('aggregator');
    const plugin = { name: 'median', f: 3 };
    expect(r.register(plugin)).toBe(plugin);
    expect(r.get('median')).toBe(plugin);
    expect(() => r.register({ name: 'median', f: 4 })).toThrow('a different aggregator is already registered as "median"');
  });

  it('an unknown name lists the registered ones', () => {
    const r = new Registry<number>('pruning criterion');
    r.register('l1', 1);
    r.register('l2', 2);
    expect(() => r.get('l3')).toThrow('unknown pruning criterion "l3"; registered: l1, l2');
  });
});
