import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PathEscapeError } from './errors/path-escape-error.js';
import { resolveInside } from './paths.js';

function layout() {
  const root = mkdtempSync(path.join(tmpdir(), 'sr-paths-'));
  const base = path.join(root, 'model');
  const outside = path.join(root, 'outside');
  mkdirSync(path.join(base, 'shards'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(base, 'shards', 'a.bin'), 'a');
  writeFileSync(path.join(outside, 'secret.bin'), 's');
  return { root, base, outside };
}

function refusal(fn: () => unknown): PathEscapeError {
  try {
    fn();
  } catch (error) {
    if (PathEscapeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a PathEscapeError');
}

describe('resolveInside', () => {
  it('resolves plain relative paths (existing or not) inside the folder', () => {
    const { base } = layout();
    expect(resolveInside(base, 'shards/a.bin', 'entry')).toBe(path.join(base, 'shards', 'a.bin'));
    expect(resolveInside(base, './shards/../shards/a.bin', 'entry')).toBe(path.join(base, 'shards', 'a.bin'));
    expect(resolveInside(base, 'not-yet/written.bin', 'entry')).toBe(path.join(base, 'not-yet', 'written.bin'));
  });

  it('refuses a .. climb and names the entry and the path', () => {
    const { base } = layout();
    const error = refusal(() => resolveInside(base, '../outside/secret.bin', 'model.json weightsManifest[0].paths[1]'));
    expect(error.code).toBe('PATH_ESCAPE');
    expect(error.reason).toBe('parent');
    expect(error.entry).toBe('model.json weightsManifest[0].paths[1]');
    expect(error.message).toContain('model.json weightsManifest[0].paths[1]');
    expect(error.message).toContain('../outside/secret.bin');
    expect(refusal(() => resolveInside(base, 'shards/../../outside/secret.bin', 'e')).reason).toBe('parent');
    expect(refusal(() => resolveInside(base, '..', 'e')).reason).toBe('parent');
  });

  it('refuses absolute paths, even ones that point inside', () => {
    const { base, outside } = layout();
    expect(refusal(() => resolveInside(base, path.join(outside, 'secret.bin'), 'e')).reason).toBe('absolute');
    expect(refusal(() => resolveInside(base, path.join(base, 'shards', 'a.bin'), 'e')).reason).toBe('absolute');
    expect(refusal(() => resolveInside(base, 'C:\\Windows\\x.bin', 'e')).reason).toBe('absolute');
  });

  it('refuses empty paths and NUL bytes', () => {
    const { base } = layout();
    expect(refusal(() => resolveInside(base, '', 'e')).reason).toBe('invalid');
    expect(refusal(() => resolveInside(base, 'a\0.bin', 'e')).reason).toBe('invalid');
  });

  it('refuses a symlinked file and a symlinked folder that point outside', () => {
    const { base, outside } = layout();
    symlinkSync(path.join(outside, 'secret.bin'), path.join(base, 'link.bin'));
    symlinkSync(outside, path.join(base, 'linkdir'));
    const file = refusal(() => resolveInside(base, 'link.bin', 'e'));
    expect(file.reason).toBe('symlink');
    expect(file.message).toContain(path.join(outside, 'secret.bin'));
    expect(refusal(() => resolveInside(base, 'linkdir/secret.bin', 'e')).reason).toBe('symlink');
    // Not existing yet, but under a folder that points outside.
    expect(refusal(() => resolveInside(base, 'linkdir/new.bin', 'e')).reason).toBe('symlink');
  });

  it('accepts symlinks that stay inside, and a base folder reached through a symlink', () => {
    const { root, base } = layout();
    symlinkSync(path.join(base, 'shards', 'a.bin'), path.join(base, 'inner.bin'));
    expect(resolveInside(base, 'inner.bin', 'e')).toBe(path.join(base, 'inner.bin'));
    const alias = path.join(root, 'alias');
    symlinkSync(base, alias);
    expect(resolveInside(alias, 'shards/a.bin', 'e')).toBe(path.join(alias, 'shards', 'a.bin'));
  });
});
