import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@shrinkray/tensor-core';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetNotFoundError } from './errors/dataset-not-found-error.js';
import { materialiseSplits } from './materialise.test.util.js';
import { loadData, parseDataSpec } from './spec.js';

describe('parseDataSpec', () => {
  it('parses the four --data forms', () => {
    expect(parseDataSpec('mnist')).toEqual({ kind: 'mnist' });
    expect(parseDataSpec('fashion-mnist')).toEqual({ kind: 'fashion-mnist', dir: '/usr/share/datasets/fashion-mnist' });
    expect(parseDataSpec('fashion-mnist:/data/fm')).toEqual({ kind: 'fashion-mnist', dir: '/data/fm' });
    expect(parseDataSpec('fashion-mnist:C:/x')).toEqual({ kind: 'fashion-mnist', dir: 'C:/x' });
    expect(parseDataSpec('idx:a.gz,b,c,d.gz')).toEqual({ kind: 'idx', trainImages: 'a.gz', trainLabels: 'b', testImages: 'c', testLabels: 'd.gz' });
  });

  it('rejects anything else with a ConfigError listing the accepted forms', () => {
    const forms = 'accepted forms: mnist, fashion-mnist, fashion-mnist:DIR, idx:TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS';
    for (const spec of ['cifar10', 'MNIST', 'mnist:x', '', 'fashion-mnist:', 'idx:a,b,c', 'idx:a,b,,d', 'idx:a,b,c,d,e']) {
      let caught: unknown;
      try {
        parseDataSpec(spec);
      } catch (error) {
        caught = error;
      }
      expect(ConfigError.isInstance(caught), spec).toBe(true);
      expect((caught as ConfigError).option).toBe('data');
      expect((caught as ConfigError).message).toContain(`"${spec}"`);
      expect((caught as ConfigError).message).toContain(forms);
    }
    expect(() => parseDataSpec('idx:a,b,c')).toThrow('expected 4 comma-separated non-empty paths after "idx:", found 3');
  });
});

describe('loadData', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shrinkray-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads idx: paths', async () => {
    const file = (name: string, bytes: number[]): string => {
      writeFileSync(join(dir, name), Uint8Array.from(bytes));
      return join(dir, name);
    };
    const images = file('i', [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 255]);
    const labels = file('l', [0, 0, 8, 1, 0, 0, 0, 2, 1, 0]);
    const { train, test } = await materialiseSplits(await loadData(`idx:${images},${labels},${images},${labels}`));
    expect(train.x.shape).toEqual([2, 1, 1, 1]);
    expect([...train.x.data]).toEqual([0, 1]);
    expect([...test.y]).toEqual([1, 0]);
    expect(train.numClasses).toBe(2);
  });

  it('says how to get Fashion-MNIST when its directory is missing', async () => {
    const missing = join(dir, 'no-such-dir');
    const error = await loadData(`fashion-mnist:${missing}`).catch((e: unknown) => e);
    expect(DatasetNotFoundError.isInstance(error)).toBe(true);
    expect((error as DatasetNotFoundError).path).toBe(missing);
    expect((error as Error).message).toContain('apt-get install dataset-fashion-mnist');
  });
});
