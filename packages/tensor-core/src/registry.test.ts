import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

describe('Registry.shared', () => {
  it('keeps one registry per kind on globalThis, listed by allShared', () => {
    const a = Registry.shared<{ f: number }>('test-kind-a', 'test item');
    expect(Registry.shared('test-kind-a', 'test item')).toBe(a);
    expect((globalThis as unknown as Record<symbol, unknown>)[Symbol.for('shrinkray.registry.test-kind-a')]).toBe(a);
    expect(Registry.allShared().get('test-kind-a')).toBe(a);
    expect(a.kind).toBe('test item');
  });

  it('registerBuiltins skips names already taken and returns the ones it added', () => {
    const r = new Registry<{ name: string }>('aggregator');
    const mine = { name: 'mean' };
    r.register(mine);
    const added = r.registerBuiltins([{ name: 'mean' }, { name: 'vote' }], (x) => x.name);
    expect(added).toEqual(['vote']);
    expect(r.get('mean')).toBe(mine);
    expect(r.list()).toEqual(['mean', 'vote']);
  });

  it('two installed copies of the module share the registry', async () => {
    // A second copy of the built module (as a second node_modules install would hold), loaded by file URL.
    const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
    const copy = mkdtempSync(path.join(tmpdir(), 'sr-registry-copy-'));
    cpSync(path.join(dist, 'registry.js'), path.join(copy, 'registry.js'));
    cpSync(path.join(dist, 'errors'), path.join(copy, 'errors'), { recursive: true });
    const second = (await import(pathToFileURL(path.join(copy, 'registry.js')).href)) as { Registry: typeof Registry };
    expect(second.Registry).not.toBe(Registry);
    const fromSecond = second.Registry.shared<{ name: string }>('test-kind-b', 'test item');
    const plugin = { name: 'from-second-copy' };
    fromSecond.register(plugin);
    expect(Registry.shared<{ name: string }>('test-kind-b', 'test item').get('from-second-copy')).toBe(plugin);
    // Built-ins of both copies: the second registration of the same names is skipped, not a conflict.
    expect(fromSecond.registerBuiltins([{ name: 'x' }], (i) => i.name)).toEqual(['x']);
    expect(Registry.shared<{ name: string }>('test-kind-b', 'test item').registerBuiltins([{ name: 'x' }], (i) => i.name)).toEqual([]);
  });
});
