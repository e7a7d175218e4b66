// Child process of `pnpm bench data`: decodes an ImageFolder through shrinkray's `images:` format.
//   node data-worker.js throughput DIR BATCH RESIZE CROP   -> images/s of decode + resize + crop + normalise
//   node data-worker.js memory DIR BATCH RESIZE CROP       -> evaluates a model over the folder; peak RSS
// Prints one JSON line.
import { readFileSync } from 'node:fs';
import { openData } from '@shrinkray/datasets';
import { evaluateModel, Tensor } from '@shrinkray/tensor-core';

const [mode, dir, batchText, resizeText, cropText] = process.argv.slice(2);
const batchSize = Number(batchText);
const crop = Number(cropText);
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** Peak and current resident set size of this process, from /proc (bytes). */
function rss() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) * 1024;
  return { peak: kb('VmHWM'), current: kb('VmRSS') };
}

/**
 * A small fixed model over [N, 224, 224, 3]: the mean of each channel in a 4x4 grid (48 features),
 * then a fixed linear layer to 10 classes. It reads every value of every batch.
 */
function gridModel(numClasses) {
  const g = 4;
  const features = g * g * 3;
  const w = Float32Array.from({ length: features * numClasses }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  return {
    name: 'grid-mean-linear',
    inputShape: [null, crop, crop, 3],
    numClasses,
    dispose() {},
    async predict(x) {
      const [n, h, wd, c] = x.shape;
      const out = new Float32Array(n * numClasses);
      const f = new Float32Array(features);
      for (let b = 0; b < n; b++) {
        f.fill(0);
        for (let y = 0; y < h; y++) {
          const gy = Math.floor((y * g) / h);
          for (let xx = 0; xx < wd; xx++) {
            const gx = Math.floor((xx * g) / wd);
            const base = ((b * h + y) * wd + xx) * c;
            for (let ch = 0; ch < c; ch++) f[(gy * g + gx) * 3 + ch] += x.data[base + ch];
          }
        }
        for (let k = 0; k < numClasses; k++) {
          let s = 0;
          for (let j = 0; j < features; j++) s += f[j] * w[j * numClasses + k];
          out[b * numClasses + k] = s / (h * wd);
        }
      }
      return new Tensor('float32', [n, numClasses], out);
    },
  };
}

// Loaded before the clock starts, as the Python side imports PIL and torchvision before its clock.
await import('sharp');
const before = rss();
const cpuStart = process.cpuUsage();
const start = performance.now();
const { train } = await openData(`images:${dir}`, { inputShape: [null, crop, crop, 3], resize: Number(resizeText), mean: MEAN, std: STD, testFraction: 0 });
const opened = performance.now();
if (mode === 'throughput') {
  let n = 0;
  let checksum = 0;
  for await (const batch of train.batches({ batchSize })) {
    n += batch.indices.length;
    const half = crop / 2;
    for (let i = 0; i < batch.indices.length; i++) checksum += batch.x.data[((i * crop + half) * crop + half) * 3];
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(JSON.stringify({ images: n, seconds, openSeconds: (opened - start) / 1000, imagesPerSecond: n / seconds, cpuSeconds, checksum }));
} else {
  const model = gridModel(train.numClasses);
  const ev = await evaluateModel(model, train, { batchSize });
  const seconds = (performance.now() - start) / 1000;
  const after = rss();
  console.log(JSON.stringify({ images: train.size, seconds, accuracy: ev.accuracy, tensorBytes: train.size * crop * crop * 3 * 4, rssBefore: before.current, peakRss: after.peak }));
}
