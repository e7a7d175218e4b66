// Runs outside the workspace against the packed @shrinkray/prune: exact structured and unstructured pruning.
import { prune } from '@shrinkray/prune';
import { Dataset, initBackend, Rng, Tensor, tfl } from '@shrinkray/tensor-core';

await initBackend();
const rng = new Rng(1);
const x = new Tensor('float32', [64, 8], Float32Array.from({ length: 512 }, () => rng.next()));
const y = Int32Array.from({ length: 64 }, (_, i) => i % 2);
const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [8], units: 10, activation: 'relu' }), tfl.layers.dense({ units: 2 })] });
const train = Dataset.fromArrays(x, y, { numClasses: 2 });
const sparse = await prune({ model, data: { train }, sparsity: 0.5, exportOnnx: false });
const slim = await prune({ model, data: { train }, sparsity: 0.5, structured: true, exportOnnx: false });
if (Math.abs(sparse.report.sparsity - 0.5) > 1e-9) throw new Error(`sparsity ${sparse.report.sparsity}, expected 0.5`);
const hidden = slim.model.layers[0].getConfig().units;
if (hidden !== 5) throw new Error(`structured pruning kept ${hidden} units, expected 5`);
console.log(`unstructured sparsity ${sparse.report.sparsity}; structured 10 -> ${hidden} units`);
