import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { shrinkray, tempDir } from './helpers.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../packages/onnx-io/fixtures/torch-mlp.onnx');
let root: string;

beforeAll(() => {
  root = tempDir('sr-manifest-');
  const imported = shrinkray(['import', fixture, '-o', path.join(root, 'good')]);
  expect(imported.code).toBe(0);
  mkdirSync(path.join(root, 'outside'));
  copyFileSync(path.join(root, 'good', 'weights.bin'), path.join(root, 'outside', 'weights.bin'));
});

function modelWith(name: string, weightPath: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir);
  const json = JSON.parse(readFileSync(path.join(root, 'good', 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
  json.weightsManifest[0]!.paths = [weightPath];
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  return path.join(dir, 'model.json');
}

describe('shrinkray refuses model.json weight paths outside the model folder', () => {
  it('accepts the untouched model', () => {
    expect(shrinkray(['inspect', path.join(root, 'good', 'model.json')]).code).toBe(0);
  });

  it.each([
    ['climb', () => '../outside/weights.bin', /climbs out with \.\./],
    ['absolute', () => path.join(root, 'outside', 'weights.bin'), /is absolute/],
  ])('%s: one error line naming the manifest entry, exit 1', (name, weightPath, why) => {
    const file = modelWith(name, weightPath());
    const run = shrinkray(['inspect', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(new RegExp(`^shrinkray: error: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} weightsManifest\\[0\\]\\.paths\\[0\\]: path `));
    expect(run.stderr).toMatch(why);
  });

  it('symlink: a weights file linking outside is refused', () => {
    const file = modelWith('symlink', 'weights.bin');
    symlinkSync(path.join(root, 'outside', 'weights.bin'), path.join(path.dirname(file), 'weights.bin'));
    const run = shrinkray(['eval', file, '--data', 'mnist']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/weightsManifest\[0\]\.paths\[0\]: path "weights\.bin" is a symlink .* outside it; refused/);
  });
});
