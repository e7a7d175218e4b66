import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@shrinkray/tensor-core';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetNotFoundError } from './errors/dataset-not-found-error.js';
import { openData } from './index.js';
import { materialiseSplits } from './materialise.test.util.js';

describe('the IDX forms of openData', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shrinkray-idx-forms-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads idx: paths', async () => {
    const file = (name: string, bytes: number[]): string => {
      writeFileSync(join(dir, name), Uint8Array.from(bytes));
      return join(dir, name);
    };
    const images = file('i', [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 255]);
    const labels = file('l', [0, 0, 8, 1, 0, 0, 0, 2, 1, 0]);
    const { train, test } = await materialiseSplits(await openData(`idx:${images},${labels},${images},${labels}`));
    expect(train.x.shape).toEqual([2, 1, 1, 1]);
    expect([...train.x.data]).toEqual([0, 1]);
    expect([...test.y]).toEqual([1, 0]);
    expect(train.numClasses).toBe(2);
  });

  it('refuses malformed IDX forms with a ConfigError on option data naming the value', async () => {
    for (const spec of ['idx:a,b,c', 'idx:a,b,,d', 'idx:a,b,c,d,e', 'idx:', 'mnist:x']) {
      const error = await openData(spec).catch((e: unknown) => e);
      expect(ConfigError.isInstance(error), spec).toBe(true);
      expect((error as ConfigError).option).toBe('data');
      expect((error as Error).message).toContain(`"${spec}"`);
    }
    await expect(openData('idx:a,b,c')).rejects.toThrow('expected 4 comma-separated non-empty paths after "idx:", found 3');
  });

  it('says how to get Fashion-MNIST when its directory is missing', async () => {
    const missing = join(dir, 'no-such-dir');
    const error = await openData(`fashion-mnist:${missing}`).catch((e: unknown) => e);
    expect(DatasetNotFoundError.isInstance(error)).toBe(true);
    expect((error as DatasetNotFoundError).path).toBe(missing);
    expect((error as Error).message).toContain('apt-get install dataset-fashion-mnist');
  });
});
