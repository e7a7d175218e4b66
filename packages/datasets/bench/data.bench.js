// `pnpm bench data`: the `images:` format (sharp) on an ImageFolder of photo-like JPEGs written by
// Debian's PIL (bench/make_jpegs.py, cached in bench-results/data/).
//
// 1. Throughput of decode + resize (shorter side 256) + centre crop 224x224 RGB + normalise, batches
//    of 64: shrinkray `openData('images:DIR')` iterated with `batches()` vs torchvision `ImageFolder`
//    + `DataLoader(num_workers=2)` with the same transform (Debian python3-torchvision), each in its
//    own process, alternating, best of the rounds. Target: shrinkray / torchvision >= 1.0.
// 2. Peak resident memory (VmHWM) of a process that evaluates a model over the whole folder, whose
//    float32 tensor would be >= 3 GB. Target: < 1.5 GiB.
//
// Knobs: SHRINKRAY_BENCH_DATA_IMAGES (default 5200: 5200 x 224 x 224 x 3 x 4 B = 3.13 GB),
// SHRINKRAY_BENCH_DATA_ROUNDS (default 2). `--quick`: 600 images, one round (the memory row then
// stays below 3 GB and says so).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { envInt } from '../../../tooling/bench/lib/env.js';
import { spawnJson } from '../../../tooling/bench/lib/spawn-json.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';
const BATCH = 64;
const RESIZE = 256;
const CROP = 224;
const CLASSES = 10;
const GiB = 2 ** 30;

function runPython(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${PYTHON} ${args.join(' ')}: exit ${code}\n${stderr.slice(-800)}`))));
  });
}

function countImages(dir) {
  return readdirSync(dir).reduce((n, c) => n + readdirSync(path.join(dir, c)).length, 0);
}

/** The cached JPEG folder of `count` images (written once with PIL). */
async function jpegFolder(repoRoot, count, log) {
  const dir = path.join(repoRoot, 'bench-results', 'data', `jpegs-${count}`);
  if (existsSync(dir) && countImages(dir) === count) {
    log(`images: cached ${path.relative(repoRoot, dir)}`);
    return dir;
  }
  log(`images: writing ${count} JPEGs with PIL -> ${path.relative(repoRoot, dir)}`);
  const tmp = `${dir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await runPython([path.join(here, 'make_jpegs.py'), tmp, String(count), String(CLASSES)]);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return dir;
}

async function hasTorchvision() {
  try {
    await runPython(['-c', 'import torch, torchvision']);
    return true;
  } catch {
    return false;
  }
}

const worker = (mode, dir) => spawnJson(process.execPath, [path.join(here, 'data-worker.js'), mode, dir, String(BATCH), String(RESIZE), String(CROP)]);

/** @type {import('../../../tooling/bench/registry.js').Benchmark} */
export default {
  name: 'data',
  description: 'images: format (sharp) vs torchvision ImageFolder + DataLoader(num_workers=2): JPEG decode/resize/normalise throughput, and peak RSS evaluating over a folder whose float32 tensor is >= 3 GB',
  async run({ repoRoot, quick, log }) {
    const count = quick ? 600 : envInt('SHRINKRAY_BENCH_DATA_IMAGES', 5200);
    const rounds = quick ? 1 : envInt('SHRINKRAY_BENCH_DATA_ROUNDS', 2);
    const dir = await jpegFolder(repoRoot, count, log);
    const torch = await hasTorchvision();
    const ours = [];
    const theirs = [];
    for (let r = 0; r < rounds; r++) {
      const a = await worker('throughput', dir);
      log(`round ${r + 1}: shrinkray ${a.imagesPerSecond.toFixed(1)} images/s (${a.images} in ${a.seconds.toFixed(2)} s)`);
      ours.push(a);
      if (torch) {
        const b = await spawnJson(PYTHON, [path.join(here, 'torch_loader.py'), dir, String(BATCH), String(RESIZE), String(CROP)]);
        log(`round ${r + 1}: torchvision ${b.imagesPerSecond.toFixed(1)} images/s (${b.images} in ${b.seconds.toFixed(2)} s)`);
        theirs.push(b);
      }
    }
    const best = (runs) => runs.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a));
    const o = best(ours);
    const t = theirs.length > 0 ? best(theirs) : null;
    log('memory: evaluating a model over the whole folder');
    const m = await worker('memory', dir);
    const rows = [
      {
        measure: `throughput, ${count} JPEGs -> ${CROP}x${CROP}x3 (resize ${RESIZE}, crop, normalise), batch ${BATCH}`,
        shrinkray: `${o.imagesPerSecond.toFixed(1)} images/s`,
        reference: t ? `${t.imagesPerSecond.toFixed(1)} images/s (torchvision, num_workers=2)` : 'python3-torchvision absent',
        ratio: t ? o.imagesPerSecond / t.imagesPerSecond : null,
        target: '>= 1.0x',
        met: t ? (o.imagesPerSecond / t.imagesPerSecond >= 1 ? 'yes' : 'no') : 'n/a',
      },
      {
        measure: `peak RSS evaluating over ${m.images} images (float32 tensor ${(m.tensorBytes / 1e9).toFixed(2)} GB)`,
        shrinkray: `${(m.peakRss / GiB).toFixed(3)} GiB`,
        reference: `${(m.rssBefore / GiB).toFixed(3)} GiB before opening the data`,
        ratio: m.peakRss / m.tensorBytes,
        target: '< 1.5 GiB',
        met: m.peakRss < 1.5 * GiB && m.tensorBytes >= 3e9 ? 'yes' : m.tensorBytes < 3e9 ? 'n/a (tensor < 3 GB)' : 'no',
      },
    ];
    return {
      title: 'Bring-your-own data: ImageFolder decoding',
      columns: [
        { key: 'measure', label: 'measure' },
        { key: 'shrinkray', label: 'shrinkray' },
        { key: 'reference', label: 'reference' },
        { key: 'ratio', label: 'ratio', digits: 3 },
        { key: 'target', label: 'target' },
        { key: 'met', label: 'met' },
      ],
      rows,
      notes: [
        `Folder: ${count} JPEGs (quality 90, 240-400 px per side, ${CLASSES} classes) written by Debian's PIL (bench/make_jpegs.py), cached in bench-results/data/.`,
        `Both sides: shorter side to ${RESIZE} (bilinear, antialiased), centre crop ${CROP}x${CROP}, scale to [0,1], ImageNet mean/std; batches of ${BATCH}; time includes opening the folder (shrinkray reads every file's header then: ${o.openSeconds.toFixed(2)} s).`,
        `shrinkray decodes with sharp (libvips), ${'2 images per core'} in flight on libuv's thread pool, one batch read ahead; torchvision uses PIL in 2 DataLoader worker processes, torch.set_num_threads(1). Each in its own process, alternating, best of ${rounds} round(s).`,
        `Every round, images/s: shrinkray ${ours.map((r) => r.imagesPerSecond.toFixed(1)).join(', ')}; torchvision ${theirs.length > 0 ? theirs.map((r) => r.imagesPerSecond.toFixed(1)).join(', ') : 'not run'}. The machine is shared; compare within a round.`,
        `Cores used (CPU seconds / wall seconds, best round): shrinkray ${(o.cpuSeconds / o.seconds).toFixed(2)}${t ? `, torchvision ${(t.cpuSeconds / t.seconds).toFixed(2)} (main process + reaped workers)` : ''}.`,
        `Ratio: shrinkray / torchvision images/s on the throughput row; peak RSS / float32 tensor size on the memory row.`,
        `Memory: one process opens the folder and evaluates a fixed model (per-channel means on a 4x4 grid + linear, JS) over every image in batches of ${BATCH}; peak RSS is /proc VmHWM at the end (includes Node, sharp and the model). ${m.seconds.toFixed(1)} s, accuracy ${m.accuracy.toFixed(3)} (meaningless labels; proves every image was scored).`,
      ],
    };
  },
};
