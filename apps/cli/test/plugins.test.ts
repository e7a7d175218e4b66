import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PathEscapeError } from '@shrinkray/tensor-core';
import { describe, expect, it } from 'vitest';
import { configuredPlugins, findConfigFile, pluginArgs, resolvePlugin } from '../src/plugins.js';
import { shrinkray, tempDir } from './helpers.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/onnx-io/fixtures/torch-mlp.onnx');
const tensorCore = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/tensor-core/dist/index.js');

/** A plugin file that leaves `marker` behind when imported and registers a loss-free marker registry entry. */
function markerPlugin(file: string, marker: string): void {
  writeFileSync(
    file,
    [
      "import { writeFileSync } from 'node:fs';",
      `import { Registry } from ${JSON.stringify(pathToFileURL(tensorCore).href)};`,
      `writeFileSync(${JSON.stringify(marker)}, 'ran');`,
      "Registry.shared('aggregator', 'aggregator').register('marker-aggregator', { name: 'marker-aggregator' });",
    ].join('\n'),
  );
}

describe('plugin config discovery', () => {
  it('finds the config beside the nearest package.json, walking up from the working folder', () => {
    const project = tempDir('sr-project-');
    writeFileSync(path.join(project, 'package.json'), '{}');
    writeFileSync(path.join(project, 'shrinkray.config.json'), '{"plugins": []}');
    mkdirSync(path.join(project, 'src', 'deep'), { recursive: true });
    expect(findConfigFile(path.join(project, 'src', 'deep'))).toBe(path.join(project, 'shrinkray.config.json'));
    expect(findConfigFile(project)).toBe(path.join(project, 'shrinkray.config.json'));
  });

  it('ignores a config in a folder that only holds a model (nearest package.json has none beside it)', () => {
    const project = tempDir('sr-project-');
    writeFileSync(path.join(project, 'package.json'), '{}');
    const models = path.join(project, 'downloads', 'model');
    mkdirSync(models, { recursive: true });
    writeFileSync(path.join(models, 'shrinkray.config.json'), '{"plugins": ["./evil.js"]}');
    expect(findConfigFile(models)).toBeUndefined();
  });

  it('reads the file --config names, wherever it is', () => {
    const dir = tempDir('sr-config-');
    writeFileSync(path.join(dir, 'my.json'), '{"plugins": ["a", "./b.js"]}');
    const file = findConfigFile('/', path.join(dir, 'my.json'))!;
    expect(file).toBe(path.join(dir, 'my.json'));
    expect(configuredPlugins(file)).toEqual([
      { spec: 'a', from: { config: file, index: 0 } },
      { spec: './b.js', from: { config: file, index: 1 } },
    ]);
  });

  it('refuses config plugin paths that leave the config folder: .., absolute, symlinks', () => {
    const root = tempDir('sr-escape-');
    const project = path.join(root, 'project');
    mkdirSync(path.join(project, 'plugins'), { recursive: true });
    writeFileSync(path.join(root, 'outside.js'), '');
    writeFileSync(path.join(project, 'plugins', 'ok.js'), '');
    symlinkSync(path.join(root, 'outside.js'), path.join(project, 'plugins', 'link.js'));
    const config = path.join(project, 'shrinkray.config.json');
    const from = (index: number) => ({ config, index });
    expect(resolvePlugin({ spec: './plugins/ok.js', from: from(0) })).toBe(path.join(project, 'plugins', 'ok.js'));
    const cases: [string, string][] = [
      ['../outside.js', 'parent'],
      [path.join(root, 'outside.js'), 'absolute'],
      ['./plugins/link.js', 'symlink'],
    ];
    for (const [spec, reason] of cases) {
      const error = (() => {
        try {
          resolvePlugin({ spec, from: from(3) });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(PathEscapeError.isInstance(error)).toBe(true);
      expect((error as PathEscapeError).reason).toBe(reason);
      expect((error as PathEscapeError).entry).toBe(`${config} plugins[3]`);
    }
  });

  it("refuses a plugin package whose package.json entry point leaves the package", () => {
    const root = tempDir('sr-pkg-');
    const pkg = path.join(root, 'node_modules', 'sneaky');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), '{"name": "sneaky", "main": "../../outside.js"}');
    expect(() => resolvePlugin({ spec: 'sneaky', from: { config: path.join(root, 'shrinkray.config.json'), index: 0 } })).toThrow(/package\.json entry point: path "\.\.\/\.\.\/outside\.js" climbs out/);
  });

  it('reads --plugin and --config from raw argv, before --', () => {
    expect(pluginArgs(['--plugin', 'a', 'eval', '--plugin=b', '--config', 'c.json', '--', '--plugin', 'x'])).toEqual({ plugins: ['a', 'b'], config: 'c.json' });
  });
});

describe('shrinkray and plugins (built binary)', () => {
  it('does not run code from a shrinkray.config.json that merely sits beside a model', () => {
    const root = tempDir('sr-hub-');
    writeFileSync(path.join(root, 'package.json'), '{}');
    const hub = path.join(root, 'hub-model');
    mkdirSync(hub);
    const marker = path.join(root, 'ran.txt');
    markerPlugin(path.join(hub, 'evil.mjs'), marker);
    writeFileSync(path.join(hub, 'shrinkray.config.json'), JSON.stringify({ plugins: ['./evil.mjs'] }));
    const run = shrinkray(['inspect', fixture, '--json'], hub);
    expect(run.code).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(run.stderr).not.toContain('loaded plugin');
  });

  it('loads the project config beside package.json, says so on stderr, and --help lists the plugin', () => {
    const project = tempDir('sr-own-');
    writeFileSync(path.join(project, 'package.json'), '{}');
    const marker = path.join(project, 'ran.txt');
    markerPlugin(path.join(project, 'mine.mjs'), marker);
    writeFileSync(path.join(project, 'shrinkray.config.json'), JSON.stringify({ plugins: ['./mine.mjs'] }));
    const run = shrinkray(['ensemble', '--help'], project);
    expect(run.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(run.stderr).toBe(`shrinkray: loaded plugin ./mine.mjs from ${path.join(project, 'mine.mjs')} (named by ${path.join(project, 'shrinkray.config.json')})\n`);
    expect(run.stdout).toMatch(/aggregator +mean, weighted, accuracy-weighted, optimized, vote, geometric-mean, stacking, marker-aggregator/);
  });

  it('refuses a config plugin that climbs out of the config folder, naming the entry', () => {
    const project = tempDir('sr-own-');
    writeFileSync(path.join(project, 'package.json'), '{}');
    const marker = path.join(project, 'ran.txt');
    markerPlugin(path.join(path.dirname(project), `${path.basename(project)}-outside.mjs`), marker);
    writeFileSync(path.join(project, 'shrinkray.config.json'), JSON.stringify({ plugins: [`../${path.basename(project)}-outside.mjs`] }));
    const run = shrinkray(['inspect', fixture], project);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^shrinkray: error: .*shrinkray\.config\.json plugins\[0\]: path "\.\.\/.*-outside\.mjs" climbs out with \.\.; refused/);
    expect(existsSync(marker)).toBe(false);
  });
});
