import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelFileError } from './errors/model-file-error.js';
import { writeFileAtomic } from './files.js';
import { resolveInside } from './paths.js';

interface ModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

function concat(parts: Uint8Array[]): ArrayBuffer {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out.buffer;
}

/**
 * Loads a tfjs LayersModel from a `model.json` on disk (with its weight files beside it), without
 * needing `@tensorflow/tfjs-node`'s `file://` handler. A `weightsManifest` path that would read
 * outside the model's folder (absolute, `..`, or a symlink pointing out) throws `PathEscapeError`
 * naming the manifest entry, before any weight file is read.
 *
 * @example
 * const model = await loadTfjsModel('out/student/model.json');
 */
export async function loadTfjsModel(modelJsonPath: string): Promise<tfl.LayersModel> {
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as ModelJson;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not a tfjs model.json (${(error as Error).message})`;
    throw new ModelFileError(modelJsonPath, reason, { cause: error });
  }
  if (typeof json !== 'object' || json === null || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ModelFileError(modelJsonPath, 'expected a tfjs layers model.json with modelTopology and weightsManifest');
  }
  const dir = path.dirname(modelJsonPath);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const files: string[] = [];
  for (const [g, group] of json.weightsManifest.entries()) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group.weights)) throw new ModelFileError(modelJsonPath, `weightsManifest[${g}] needs "paths" and "weights" arrays`);
    for (const [i, file] of group.paths.entries()) files.push(resolveInside(dir, file, `${modelJsonPath} weightsManifest[${g}].paths[${i}]`));
    specs.push(...group.weights);
  }
  const parts: Uint8Array[] = [];
  for (const weightFile of files) {
    try {
      parts.push(new Uint8Array(await readFile(weightFile)));
    } catch (error) {
      throw new ModelFileError(weightFile, 'weight file named in model.json cannot be read', { cause: error });
    }
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData: concat(parts),
  };
  try {
    return await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new ModelFileError(modelJsonPath, `tfjs could not build the model: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Saves a LayersModel as `DIR/model.json` + `DIR/weights.bin`, each written atomically. Returns the
 * paths written.
 */
export async function saveTfjsModel(model: tfl.LayersModel, dir: string): Promise<string[]> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured?.weightData || !captured.weightSpecs) throw new ModelFileError(dir, 'tfjs produced no weights to save');
  const weights = captured.weightData instanceof ArrayBuffer ? new Uint8Array(captured.weightData) : new Uint8Array(concat(captured.weightData.map((b) => new Uint8Array(b))));
  const modelJson: ModelJson = {
    format: 'layers-model',
    generatedBy: captured.generatedBy ?? 'TensorFlow.js',
    convertedBy: null,
    modelTopology: captured.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: captured.weightSpecs }],
  };
  const jsonPath = path.join(dir, 'model.json');
  const binPath = path.join(dir, 'weights.bin');
  await writeFileAtomic(binPath, weights);
  await writeFileAtomic(jsonPath, JSON.stringify(modelJson));
  return [jsonPath, binPath];
}
