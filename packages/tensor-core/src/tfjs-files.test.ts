import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelFileError } from './errors/model-file-error.js';
import { PathEscapeError } from './errors/path-escape-error.js';
import { loadTfjsModel, saveTfjsModel } from './tfjs-files.js';

let root: string;
let kernel: Float32Array;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = mkdtempSync(path.join(tmpdir(), 'sr-tfjs-files-'));
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3], kernelInitializer: 'glorotUniform', seed: 4 } as never)] });
  kernel = (await model.getWeights()[0]!.data()) as Float32Array;
  await saveTfjsModel(model, path.join(root, 'good'));
  model.dispose();
  // A copy of the weights outside every model folder: loading it would "work" without the check.
  mkdirSync(path.join(root, 'outside'));
  copyFileSync(path.join(root, 'good', 'weights.bin'), path.join(root, 'outside', 'weights.bin'));
});

/** A model folder whose model.json names `paths` for its one weights group. */
function modelWith(name: string, paths: string[]): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  const json = JSON.parse(readFileSync(path.join(root, 'good', 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
  json.weightsManifest[0]!.paths = paths;
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  return dir;
}

async function refusal(file: string): Promise<PathEscapeError> {
  const error: unknown = await loadTfjsModel(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!PathEscapeError.isInstance(error)) throw new Error(`expected PathEscapeError, got ${String(error)}`);
  return error;
}

describe('loadTfjsModel weightsManifest paths', () => {
  it('loads a model whose weights sit beside model.json (same kernel as saved)', async () => {
    const model = await loadTfjsModel(path.join(root, 'good', 'model.json'));
    expect(Array.from((await model.getWeights()[0]!.data()) as Float32Array)).toEqual(Array.from(kernel));
    model.dispose();
  });

  it('refuses ../ paths, naming the manifest entry', async () => {
    const dir = modelWith('climb', ['../outside/weights.bin']);
    const error = await refusal(path.join(dir, 'model.json'));
    expect(error.reason).toBe('parent');
    expect(error.entry).toBe(`${path.join(dir, 'model.json')} weightsManifest[0].paths[0]`);
  });

  it('refuses absolute paths', async () => {
    const dir = modelWith('absolute', [path.join(root, 'outside', 'weights.bin')]);
    expect((await refusal(path.join(dir, 'model.json'))).reason).toBe('absolute');
  });

  it('refuses a symlink pointing out of the folder, and a symlinked folder', async () => {
    const dir = modelWith('symlink', ['weights.bin']);
    symlinkSync(path.join(root, 'outside', 'weights.bin'), path.join(dir, 'weights.bin'));
    expect((await refusal(path.join(dir, 'model.json'))).reason).toBe('symlink');
    const viaDir = modelWith('symlink-dir', ['shards/weights.bin']);
    symlinkSync(path.join(root, 'outside'), path.join(viaDir, 'shards'));
    expect((await refusal(path.join(viaDir, 'model.json'))).reason).toBe('symlink');
  });

  it('checks every entry before reading any weights, and reports a missing file as ModelFileError', async () => {
    const dir = modelWith('second-bad', ['missing.bin', '../outside/weights.bin']);
    const error = await refusal(path.join(dir, 'model.json'));
    expect(error.entry).toContain('weightsManifest[0].paths[1]');
    const missing = modelWith('missing', ['missing.bin']);
    await expect(loadTfjsModel(path.join(missing, 'model.json'))).rejects.toSatisfy((e: unknown) => ModelFileError.isInstance(e));
  });
});
