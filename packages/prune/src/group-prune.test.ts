import { ConfigError, Dataset, initBackend, Rng, Tensor, tf, tfl } from '@shrinkray/tensor-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { l1 } from './criteria.js';
import { UnprunableStructureError } from './errors/unprunable-structure-error.js';
import { groupImportance } from './group-importance.js';
import { keptChannels, selectGroupChannels } from './group-selection.js';
import { buildGroups } from './groups.js';
import { prune, type PruneEvent } from './prune.js';
import { untouchable } from './untouchable.test.util.js';

beforeAll(async () => {
  await initBackend();
});

/** Three Gaussian blobs as 6×6×1 images (a learnable toy task). */
function images(n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 36);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    for (let j = 0; j < 36; j++) x[i * 36 + j] = rng.normal() * 0.5 + (j % 3 === c ? 1 : 0);
  }
  return Dataset.fromArrays(new Tensor('float32', [n, 6, 6, 1], x), y, { numClasses: 3 });
}

/** A stem, two residual blocks sharing the stem's channels, a 1×1 head, global pooling and a classifier. */
function resnet(): tfl.LayersModel {
  let s = 1;
  const init = () => tfl.initializers.glorotNormal({ seed: s++ });
  const conv = (x: tfl.SymbolicTensor, filters: number, name: string, activation: 'relu' | 'linear' = 'relu') =>
    tfl.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation, name, kernelInitializer: init() }).apply(x) as tfl.SymbolicTensor;
  const input = tfl.input({ shape: [6, 6, 1] });
  let x = conv(input, 16, 'stem');
  for (const b of [1, 2]) {
    const y = conv(conv(x, 16, `b${b}a`), 16, `b${b}b`, 'linear');
    x = tfl.layers.activation({ activation: 'relu', name: `b${b}relu` }).apply(tfl.layers.add({ name: `b${b}add` }).apply([x, y])) as tfl.SymbolicTensor;
  }
  const head = tfl.layers.conv2d({ filters: 24, kernelSize: 1, activation: 'relu', name: 'head', kernelInitializer: init() }).apply(x) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(head) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, name: 'out', kernelInitializer: init() }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'toy-resnet' });
}

describe('group importance and selection', () => {
  it('normalises each member by its mean over the group and reduces by mean, sum or max (hand-computed)', () => {
    const input = tfl.input({ shape: [2] });
    const a = tfl.layers.dense({ units: 3, useBias: false, name: 'a' }).apply(input) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 1, useBias: false, name: 'out' }).apply(a) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    // a: columns |.|-sums 2, 4, 6 (mean 4) -> 0.5, 1, 1.5; out rows 3, 1, 2 (mean 2) -> 1.5, 0.5, 1
    model.getLayer('a').setWeights([tf.tensor([1, 1, 3, 1, -3, 3], [2, 3])]);
    model.getLayer('out').setWeights([tf.tensor([3, -1, 2], [3, 1])]);
    const graph = buildGroups(model);
    const id = graph.groups.find((g) => g.producers[0] === 'a')!.id;
    const near = (v: Float32Array, expected: number[]) => {
      for (const [i, e] of expected.entries()) expect(v[i]).toBeCloseTo(e, 5);
    };
    near(groupImportance(model, graph, l1).get(id)!, [1, 0.75, 1.25]);
    near(groupImportance(model, graph, l1, { reduction: 'sum' }).get(id)!, [2, 1.5, 2.5]);
    near(groupImportance(model, graph, l1, { reduction: 'max' }).get(id)!, [1.5, 1, 1.5]);
  });

  it('layer scope removes round(p·n) per group; roundTo keeps multiples; global scope ranks across groups under a cap', () => {
    expect(keptChannels(64, 0.5)).toBe(32);
    expect(keptChannels(24, 0.3, 8)).toBe(16); // 24 - 7 = 17 -> nearest multiple of 8
    expect(keptChannels(6, 0.5, 8)).toBe(6); // smaller than one block: left as it is
    const scores = (v: number[]) => Float32Array.from(v);
    const layer = selectGroupChannels(
      [
        { id: 'g0', scores: scores([5, 1, 3, 2]), original: 4 },
        { id: 'g1', scores: scores([0.1, 0.2]), original: 2 },
      ],
      { target: 0.5 },
    );
    expect([...layer.get('g0')!]).toEqual([1, 3]);
    expect([...layer.get('g1')!]).toEqual([0]);
    // global: 3 of 6 channels go, lowest first, but g1 may lose at most floor(0.5·2) = 1
    const global = selectGroupChannels(
      [
        { id: 'g0', scores: scores([5, 1, 3, 2]), original: 4 },
        { id: 'g1', scores: scores([0.1, 0.2]), original: 2 },
      ],
      { target: 0.5, scope: 'global', maxSparsity: 0.5 },
    );
    expect([...global.get('g1')!]).toEqual([0]);
    expect([...global.get('g0')!]).toEqual([1, 3]);
  });
});

describe('prune({ structured }) by dependency groups', () => {
  it('prunes a residual model by groups: report lists every group, MACs, roundTo and ignore are honoured', async () => {
    const model = resnet();
    const train = images(96, 1);
    const test = images(48, 2);
    const events: PruneEvent['type'][] = [];
    const { model: small, report } = await prune({
      model,
      data: { train, test },
      sparsity: 0.5,
      structured: true,
      roundTo: 4,
      ignore: ['head'],
      finetune: { epochs: 1, batchSize: 32 },
      exportOnnx: false,
      onEvent: (e) => events.push(e.type),
    });
    // the plan comes before any evaluation or training
    expect(events.indexOf('plan')).toBe(0);
    expect(events.indexOf('evaluate')).toBeGreaterThan(0);
    const byProducer = (name: string) => report.groups!.find((g) => g.producers.includes(name))!;
    const residual = byProducer('stem');
    expect([...residual.producers].sort()).toEqual(['b1b', 'b2b', 'stem']);
    expect(residual.channels).toEqual({ before: 16, after: 8 });
    expect(byProducer('b1a').channels).toEqual({ before: 16, after: 8 });
    expect(byProducer('head').status).toBe('ignored');
    expect(byProducer('head').channels).toEqual({ before: 24, after: 24 });
    expect(byProducer('out').status).toBe('blocked');
    expect(report.groups!.filter((g) => g.status === 'pruned')).toHaveLength(3);
    expect(small.getLayer('b2b').getWeights()[0]!.shape).toEqual([3, 3, 8, 8]);
    expect(small.getLayer('head').getWeights()[0]!.shape).toEqual([1, 1, 8, 24]);
    // MACs by hand (6×6 positions): stem 9·1·16, four 3×3 convs 9·16·16, head 16·24, out 24·3
    expect(report.macs!.before).toBe(36 * (9 * 16 + 4 * 9 * 16 * 16 + 16 * 24) + 24 * 3);
    expect(report.macs!.after).toBe(36 * (9 * 8 + 4 * 9 * 8 * 8 + 8 * 24) + 24 * 3);
    expect(report.params.storedAfter).toBe(9 * 8 + 8 + 4 * (9 * 64 + 8) + 8 * 24 + 24 + 24 * 3 + 3);
    expect(report.finetune!.epochs).toBe(1);
    expect(report.unsupported).toEqual([]);
  });

  it('steps: prunes in equal steps of the original channels, fine-tuning after each', async () => {
    const model = resnet();
    const train = images(64, 3);
    const surgeries: Record<string, number>[] = [];
    const { report } = await prune({
      model,
      data: { train },
      sparsity: 0.5,
      structured: true,
      steps: 2,
      finetune: { epochs: 1, batchSize: 32 },
      exportOnnx: false,
      onEvent: (e) => {
        if (e.type === 'surgery') surgeries.push(e.removed);
      },
    });
    // 16 channels: 4 at step 1 (25%), 4 more at step 2 (50%); head 24: 6 then 6
    expect(surgeries).toEqual([
      { 'stem,b1b,b2b': 4, b1a: 4, b2a: 4, head: 6 },
      { 'stem,b1b,b2b': 4, b1a: 4, b2a: 4, head: 6 },
    ]);
    expect(report.steps).toBe(2);
    expect(report.finetune!.epochs).toBe(2);
    expect(report.groups!.find((g) => g.producers.includes('head'))!.channels.after).toBe(12);
  });

  it('refuses before reading any data: a blocked group the user asked for names the node; gradual schedules refuse coupled groups', async () => {
    // Datasets whose examples throw when read: every refusal must come before any read.
    const input = tfl.input({ shape: [4, 4, 2] });
    const a = tfl.layers.conv2d({ filters: 3, kernelSize: 1, name: 'a' }).apply(input) as tfl.SymbolicTensor;
    const r = tfl.layers.reshape({ targetShape: [48], name: 'reshape' }).apply(a) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 2, name: 'out' }).apply(r) as tfl.SymbolicTensor;
    const blocked = tfl.model({ inputs: input, outputs: out });
    const error = await prune({ model: blocked, data: { train: untouchable([4, 4, 2], 2) }, sparsity: 0.5, structured: true, layers: { only: ['a'] } }).catch((e: unknown) => e);
    expect(UnprunableStructureError.isInstance(error)).toBe(true);
    expect((error as UnprunableStructureError).layer).toBe('reshape');
    await expect(prune({ model: blocked, data: { train: untouchable([4, 4, 2], 2) }, sparsity: 0.5, structured: true })).rejects.toThrow(/no dependency group to prune: .*reshape/);
    await expect(prune({ model: resnet(), data: { train: untouchable([4, 4, 2], 3) }, sparsity: 0.5, structured: true, ignore: ['nope'] })).rejects.toThrow(ConfigError);
    await expect(prune({ model: resnet(), data: { train: untouchable([4, 4, 2], 3) }, sparsity: 0.5, structured: true, schedule: 'polynomial', finetune: { epochs: 1 } })).rejects.toThrow(/group g0 couples stem/);
  });
});
