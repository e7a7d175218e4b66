import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The first ```sh block under "## CLI quickstart" in the README, as written. */
function quickstartBlock(): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## CLI quickstart'));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error('README.md has no ```sh block under "## CLI quickstart"');
  return match[1];
}

function percent(text: string, pattern: RegExp): number {
  const m = pattern.exec(text);
  if (!m?.[1]) throw new Error(`no match for ${pattern} in:\n${text}`);
  return Number(m[1]) / 100;
}

describe('README CLI quickstart', () => {
  it('runs as written from a checkout (every command exits 0) and prints sensible numbers', () => {
    // A checkout-shaped folder: the repo's packages and apps, and a fresh out/ for what the block writes.
    const cwd = tempDir('sr-quickstart-');
    symlinkSync(path.join(root, 'packages'), path.join(cwd, 'packages'));
    symlinkSync(path.join(root, 'apps'), path.join(cwd, 'apps'));
    const script = path.join(cwd, 'quickstart.sh');
    writeFileSync(script, `shopt -s expand_aliases\nset -e\n${quickstartBlock()}`);
    const run = spawnSync('bash', [script], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(run.stderr).not.toMatch(/shrinkray: error/);
    expect(run.status).toBe(0);
    const out = run.stdout;

    // eval --json: the trained PyTorch CNN, on test digits it never saw.
    const evalJson = JSON.parse(/\{\n {2}"model"[\s\S]*?\n\}/.exec(out)![0]) as { accuracy: number; samples: number };
    expect(evalJson.samples).toBe(2000);
    expect(evalJson.accuracy).toBeGreaterThan(0.96);

    // distill: with 800 labels and the rest as a transfer set, the student beats the same MLP alone.
    const student = percent(out, /^student +mlp:64 +accuracy ([\d.]+)%/m);
    const baseline = percent(out, /^baseline .* accuracy ([\d.]+)%/m);
    expect(student).toBeGreaterThan(0.88);
    expect(student - baseline).toBeGreaterThan(0.05);

    // prune: structured 50% keeps the accuracy within two points and cuts the parameters.
    const [, before, after] = /^accuracy +([\d.]+)% -> ([\d.]+)%/m.exec(out)!;
    expect(Number(after)).toBeGreaterThan(Number(before) - 2);
    expect(out).toMatch(/^params +52,138 -> 13,242 non-zero/m);

    // ensemble: the mean of three comparable CNNs beats its best member; the fused graph agrees.
    const members = [...out.matchAll(/^packages\/onnx-io\/fixtures\/torch-cnn-mnist[\w-]*\.onnx +([\d.]+)%/gm)].map((m) => Number(m[1]) / 100);
    expect(members).toHaveLength(3);
    const ensemble = percent(out, /^ensemble +([\d.]+)%/m);
    expect(ensemble).toBeGreaterThan(Math.max(...members));
    expect(percent(out, /^fused graph accuracy +([\d.]+)%/m)).toBe(ensemble);

    // bench: one table row per model and batch size.
    expect(out.match(/^\| (packages|out)\/.* \| (1|256) \|/gm)).toHaveLength(4);
  }, 600_000);
});
