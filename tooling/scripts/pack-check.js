#!/usr/bin/env node
// Proves that each public package, packed as it would be published (`pnpm pack`), installs with npm
// into an empty project outside the workspace and imports and runs there.
// Each package has a smoke script in tooling/scripts/smoke/<name>.mjs, run inside that project.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const smokeDir = path.join(root, 'tooling/scripts/smoke');
const only = process.argv.slice(2);

const packages = [...readdirSync(path.join(root, 'packages')).map((dir) => path.join(root, 'packages', dir)), path.join(root, 'apps', 'cli')]
  .filter((dir) => existsSync(path.join(dir, 'package.json')))
  .map((dir) => ({ dir, json: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) }))
  .filter(({ json }) => !json.private)
  .filter(({ json }) => only.length === 0 || only.includes(json.name.replace('@shrinkray/', '')));

const work = mkdtempSync(path.join(tmpdir(), 'shrinkray-pack-'));
const tarballs = path.join(work, 'tarballs');
const project = path.join(work, 'project');
const run = (cmd, args, cwd, extraEnv = {}) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...extraEnv }, encoding: 'utf8' });

let failed = 0;
try {
  const files = [];
  for (const { dir, json } of packages) {
    const smoke = path.join(smokeDir, `${json.name.replace('@shrinkray/', '')}.mjs`);
    if (!existsSync(smoke)) throw new Error(`${json.name}: no smoke script at ${path.relative(root, smoke)}`);
    const out = run('pnpm', ['pack', '--pack-destination', tarballs], dir).trim().split('\n').pop();
    files.push(out);
  }
  run('npm', ['init', '-y'], (mkdirp(project), project));
  // onnxruntime-node's postinstall would download CUDA libraries; its CPU binaries are bundled.
  const started = Date.now();
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], project, { ONNXRUNTIME_NODE_INSTALL: 'skip', ONNXRUNTIME_NODE_INSTALL_CUDA: 'skip' });
  console.log(`pack-check: installed ${files.length} packed packages with npm in ${((Date.now() - started) / 1000).toFixed(1)} s (${project})`);
  for (const { json } of packages) {
    const name = json.name.replace('@shrinkray/', '');
    const smoke = path.join(project, `smoke-${name}.mjs`);
    copyFileSync(path.join(smokeDir, `${name}.mjs`), smoke);
    try {
      const output = run('node', [smoke], project).trim();
      console.log(`pack-check: ${json.name}@${json.version} ok: ${output.split('\n').pop()}`);
    } catch (error) {
      failed++;
      console.error(`pack-check: ${json.name} FAILED outside the workspace: ${error.message.split('\n')[0]}`);
    }
  }
} finally {
  if (!process.env.SHRINKRAY_KEEP_PACK) rmSync(work, { recursive: true, force: true });
}
console.log(`${packages.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

function mkdirp(dir) {
  execFileSync('mkdir', ['-p', dir]);
}
