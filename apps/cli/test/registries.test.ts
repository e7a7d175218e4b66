import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cliDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs an ES module snippet in a fresh Node process from the CLI package (which depends on every package). */
function node(code: string): unknown {
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: cliDir, encoding: 'utf8' }));
}

const kinds = ['criterion', 'schedule', 'mode', 'aggregator', 'loss', 'op-importer', 'pattern-importer', 'layer-exporter', 'data-format'];
const listAll = `Object.fromEntries(${JSON.stringify(kinds)}.map((k) => [k, globalThis[Symbol.for('shrinkray.registry.' + k)]?.list() ?? null]))`;

describe('registries: shared on globalThis, built-ins registered by the entry points only', () => {
  it.each([
    ['@shrinkray/prune', ['criterion', 'schedule', 'mode']],
    ['@shrinkray/ensemble', ['aggregator']],
    ['@shrinkray/distill', ['loss']],
    ['@shrinkray/datasets', ['data-format']],
  ])('%s/base registers none of its built-ins (%j); the entry point registers them in the shared registries', (pkg, own) => {
    const result = node(`const base = await import('${pkg}/base'); const before = ${listAll}; await import('${pkg}'); const after = ${listAll}; console.log(JSON.stringify({ before, after }));`) as {
      before: Record<string, string[] | null>;
      after: Record<string, string[] | null>;
    };
    for (const kind of own) {
      expect(result.before[kind]).toEqual([]);
      expect(result.after[kind]!.length).toBeGreaterThan(0);
    }
  });

  it('onnx-io/base registers no exporter or importer; the entry point registers them', () => {
    const result = node(`await import('@shrinkray/onnx-io/base'); const before = ${listAll}; await import('@shrinkray/onnx-io'); console.log(JSON.stringify({ before, after: ${listAll} }));`) as {
      before: Record<string, string[]>;
      after: Record<string, string[]>;
    };
    expect(result.before['op-importer']).toEqual([]);
    expect(result.before['layer-exporter']).toEqual([]);
    expect(result.before['pattern-importer']).toEqual([]);
    expect(result.after['op-importer']).toContain('Conv');
    expect(result.after['pattern-importer']).toContain('multi-head-self-attention');
    expect(result.after['layer-exporter']).toContain('Dense');
  });

  it('the registries a package exports are the globalThis ones (what a second installed copy would find)', () => {
    const same = node(
      "const { criteria } = await import('@shrinkray/prune'); const { aggregators } = await import('@shrinkray/ensemble'); const { lossRegistry } = await import('@shrinkray/distill'); console.log(JSON.stringify([criteria === globalThis[Symbol.for('shrinkray.registry.criterion')], aggregators === globalThis[Symbol.for('shrinkray.registry.aggregator')], lossRegistry.list().join() === globalThis[Symbol.for('shrinkray.registry.loss')].list().join()]));",
    );
    expect(same).toEqual([true, true, true]);
  });
});
