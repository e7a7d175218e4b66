import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { activeBackend, type BackendLoader, type BackendName, initBackend } from './backend.js';
import { BackendError } from './errors/backend-error.js';

function fake(name: BackendName, behaviour: 'ok' | string, log: string[]): BackendLoader {
  return {
    name,
    packageName: `fake-${name}`,
    async load() {
      log.push(name);
      if (behaviour !== 'ok') throw new Error(`${behaviour}\nsecond line of the stack`);
    },
  };
}

describe('initBackend', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env['SHRINKRAY_BACKEND'];
    delete process.env['SHRINKRAY_BACKEND'];
  });
  afterEach(() => {
    if (saved === undefined) delete process.env['SHRINKRAY_BACKEND'];
    else process.env['SHRINKRAY_BACKEND'] = saved;
  });

  it('falls back in order: the first loader fails, the second is used, the third never tried', async () => {
    const log: string[] = [];
    const info = await initBackend({ loaders: [fake('tensorflow', 'native library missing', log), fake('wasm', 'ok', log), fake('cpu', 'ok', log)] });
    expect(info.backend).toBe('wasm');
    expect(log).toEqual(['tensorflow', 'wasm']);
    expect(info.attempts).toEqual([
      { backend: 'tensorflow', ok: false, reason: 'fake-tensorflow: native library missing' },
      { backend: 'wasm', ok: true },
    ]);
  });

  it('throws a BackendError listing every backend tried and why, when all fail', async () => {
    const log: string[] = [];
    const error = await initBackend({ loaders: [fake('tensorflow', 'no binary', log), fake('wasm', 'no wasm file', log), fake('cpu', 'broken', log)] }).catch((e: unknown) => e);
    expect(BackendError.isInstance(error)).toBe(true);
    const be = error as BackendError;
    expect(be.attempts).toEqual([
      { backend: 'tensorflow', reason: 'fake-tensorflow: no binary' },
      { backend: 'wasm', reason: 'fake-wasm: no wasm file' },
      { backend: 'cpu', reason: 'fake-cpu: broken' },
    ]);
    expect(be.message).toBe(
      'no tfjs backend could start: tensorflow (fake-tensorflow: no binary); wasm (fake-wasm: no wasm file); cpu (fake-cpu: broken)',
    );
    expect(log).toEqual(['tensorflow', 'wasm', 'cpu']);
  });

  it('force (or SHRINKRAY_BACKEND) restricts the loaders to one', async () => {
    const log: string[] = [];
    const loaders = [fake('tensorflow', 'ok', log), fake('wasm', 'ok', log), fake('cpu', 'ok', log)];
    expect((await initBackend({ loaders, force: 'cpu' })).backend).toBe('cpu');
    process.env['SHRINKRAY_BACKEND'] = 'wasm';
    expect((await initBackend({ loaders })).backend).toBe('wasm');
    expect(log).toEqual(['cpu', 'wasm']);
  });

  it('on this machine (no @tensorflow/tfjs-node) starts wasm after tfjs-node fails, and is idempotent', async () => {
    const info = await initBackend();
    expect(info.backend).toBe('wasm');
    expect(info.attempts[0]).toMatchObject({ backend: 'tensorflow', ok: false });
    expect(info.attempts[0]!.reason).toMatch(/^@tensorflow\/tfjs-node: /);
    expect(info.attempts[1]).toEqual({ backend: 'wasm', ok: true });
    // The wasm training kernel fixes are applied and reported.
    expect(info.kernelFixes).toEqual(expect.arrayContaining(['BatchMatMul', '_FusedMatMul', 'Conv2DBackpropFilter']));
    expect(activeBackend()).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(await initBackend()).toBe(info);
    // The backend computes: 1·3 + 2·4 = 11.
    const dot = tf.dot(tf.tensor1d([1, 2]), tf.tensor1d([3, 4]));
    expect(dot.dataSync()[0]).toBe(11);
    dot.dispose();
  });
});
