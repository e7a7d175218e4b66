#!/usr/bin/env node
// Proves that each public package, packed as it would be published (`pnpm pack`), installs with npm
// into an empty project outside the workspace and imports and runs there.
// Each package has a smoke script in tooling/scripts/smoke/<name>.mjs, run inside that project.
// tfjs and onnxruntime are peer dependencies: the project installs the versions a user picks
// (SHRINKRAY_PACK_TFJS, SHRINKRAY_PACK_ORT; by default other versions than the workspace's, inside the
// peer ranges), and the check proves exactly those single copies are the ones loaded.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const smokeDir = path.join(root, 'tooling/scripts/smoke');
const only = process.argv.slice(2);
const tfjsVersion = process.env.SHRINKRAY_PACK_TFJS ?? '4.21.0';
const ortVersion = process.env.SHRINKRAY_PACK_ORT ?? '1.29.0';
const userPeers = [
  ...['core', 'layers', 'backend-cpu', 'backend-wasm'].map((p) => `@tensorflow/tfjs-${p}@${tfjsVersion}`),
  `onnxruntime-node@${ortVersion}`,
  `onnxruntime-common@${ortVersion}`,
];

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
  // npm refuses (ERESOLVE) when a chosen version does not satisfy a package's peer range.
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files, ...userPeers], project, { ONNXRUNTIME_NODE_INSTALL: 'skip', ONNXRUNTIME_NODE_INSTALL_CUDA: 'skip' });
  console.log(`pack-check: installed ${files.length} packed packages with npm in ${((Date.now() - started) / 1000).toFixed(1)} s (${project}), with the user's ${userPeers.join(', ')}`);
  checkSingleCopies(project);
  if (packages.some(({ json }) => json.name === '@shrinkray/tensor-core')) {
    const loaded = run('node', ['--input-type=module', '-e', "import { tf } from '@shrinkray/tensor-core'; console.log(tf.version_core)"], project).trim();
    if (loaded !== tfjsVersion) throw new Error(`pack-check: @shrinkray/tensor-core runs tfjs-core ${loaded}, the user installed ${tfjsVersion}`);
    console.log(`pack-check: @shrinkray/tensor-core runs the user's tfjs-core ${loaded}`);
  }
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

/** Every tfjs / ORT package is installed once, at the user's chosen version (no copy nested under a shrinkray package). */
function checkSingleCopies(dir) {
  const found = run('find', [path.join(dir, 'node_modules'), '-path', '*/node_modules/@tensorflow/tfjs-*/package.json', '-o', '-path', '*/node_modules/onnxruntime-*/package.json'], dir)
    .trim()
    .split('\n')
    .filter((f) => /node_modules\/(@tensorflow\/tfjs-[\w-]+|onnxruntime-[\w-]+)\/package\.json$/.test(f));
  const seen = new Map();
  for (const file of found) {
    const { name, version } = JSON.parse(readFileSync(file, 'utf8'));
    if (seen.has(name)) throw new Error(`pack-check: two copies of ${name}: ${seen.get(name)} and ${path.relative(dir, file)}`);
    seen.set(name, path.relative(dir, file));
    const want = name.startsWith('@tensorflow/') ? tfjsVersion : ortVersion;
    if (userPeers.some((p) => p.startsWith(`${name}@`)) && version !== want) throw new Error(`pack-check: ${name} is ${version}, the user chose ${want}`);
  }
  console.log(`pack-check: one copy each of ${[...seen.keys()].sort().join(', ')}`);
}

function mkdirp(dir) {
  execFileSync('mkdir', ['-p', dir]);
}
