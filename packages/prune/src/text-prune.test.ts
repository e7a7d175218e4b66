import { Dataset, initBackend, type tfl, train } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { prune } from './prune.js';
import { textBag, textCnn, textTask } from './text-models.test.util.js';

beforeAll(async () => {
  await initBackend();
});

function splits(): { train: Dataset; test: Dataset } {
  const train = textTask(300, 1);
  const test = textTask(150, 2);
  return { train: Dataset.fromArrays(train.x, train.y, { numClasses: 3, name: 'text/train' }), test: Dataset.fromArrays(test.x, test.y, { numClasses: 3, name: 'text/test' }) };
}

/** The model trained on the toy task first (pruning starts from a model that knows it; chance is 1/3). */
async function trained(model: tfl.LayersModel, data: { train: Dataset }): Promise<tfl.LayersModel> {
  await train({ model, data: data.train, optimizer: { name: 'adam', learningRate: 0.02 }, epochs: 8, batchSize: 32, seed: 1 });
  return model;
}

const finetune = { epochs: 2, batchSize: 32, optimizer: { name: 'adam' as const, learningRate: 0.005 } };

describe('prune() on text students and int32 token-id Datasets', () => {
  it('unstructured: masks the embedding table, the Conv1D kernel and the hidden Dense, keeps them zero through fine-tuning on text data', async () => {
    const data = splits();
    const { model, report } = await prune({ model: await trained(textCnn(), data), data, sparsity: 0.6, schedule: 'polynomial', finetune, seed: 1, exportOnnx: false });
    expect(report.layers.map((l) => `${l.layer}:${l.className}`)).toEqual(['embedding:Embedding', 'conv:Conv1D', 'dense_1:Dense']);
    for (const l of report.layers) {
      // zeros counted in the weights themselves, after fine-tuning
      const w = model.getLayer(l.layer).getWeights()[0]!.dataSync();
      const zeros = Array.from(w).filter((v) => v === 0).length;
      expect(zeros / w.length).toBeCloseTo(0.6, 1);
      expect(l.sparsity).toBe(zeros / w.length);
    }
    expect(report.finetune?.epochs).toBe(2);
    expect(report.accuracy!.before).toBeGreaterThan(0.75);
    expect(report.accuracy!.after).toBeGreaterThan(0.6);
  }, 60_000);

  it('structured: removes embedding dimensions and Conv1D filters by dependency group (l1, and taylor from gradients on token ids) and fine-tunes the smaller text-bag / text-cnn', async () => {
    const data = splits();
    const bag = await prune({ model: await trained(textBag(), data), data, sparsity: 0.5, structured: true, finetune, seed: 1, exportOnnx: false });
    expect(bag.report.groups!.map((g) => `${g.producers.join(',')} ${g.status} ${g.channels.before}->${g.channels.after}`)).toEqual(['embedding pruned 6->3', 'dense_1 pruned 5->2', 'logits blocked 3->3']);
    expect(bag.model.getLayer('embedding').getWeights()[0]!.shape).toEqual([40, 3]);
    expect(bag.report.macs!.after).toBe(3 * 2 + 2 * 3);
    const cnn = await prune({ model: await trained(textCnn(), data), data, sparsity: 0.5, structured: true, criterion: 'taylor', finetune, seed: 1, exportOnnx: false });
    expect(cnn.model.getLayer('conv').getWeights()[0]!.shape).toEqual([3, 3, 4]);
    expect(cnn.report.macs!.after).toBe(7 * 3 * 3 * 4 + 4 * 2 + 2 * 3);
    expect(bag.report.accuracy!.after).toBeGreaterThan(0.6);
    expect(cnn.report.accuracy!.after).toBeGreaterThan(0.5);
  }, 60_000);

  it('gradual structured (polynomial schedule, masks then surgery): the text-cnn loses embedding dimensions and filters', async () => {
    const data = splits();
    const { model, report } = await prune({ model: await trained(textCnn(), data), data, sparsity: 0.5, structured: true, schedule: 'polynomial', finetune, seed: 1, exportOnnx: false });
    expect(report.layers.map((l) => `${l.layer} ${l.units.before}->${l.units.after}`)).toEqual(['embedding 6->3', 'conv 8->4', 'dense_1 5->2']);
    expect(model.getLayer('conv').getWeights()[0]!.shape).toEqual([3, 3, 4]);
    expect(report.accuracy!.after).toBeGreaterThan(0.5);
  }, 60_000);
});
