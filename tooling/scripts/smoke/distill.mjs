// Runs outside the workspace against the packed @shrinkray/distill (and its packed dependencies).
import { decodeLogitsFile, distill, encodeLogitsFile, getLoss, listLosses } from '@shrinkray/distill';
import { Dataset, initBackend, Rng, Tensor, tf } from '@shrinkray/tensor-core';

await initBackend();
// The hinton loss at α = 1, τ = 1: KL([3/4, 1/4] ‖ [1/2, 1/2]) = 3/4·ln(3/2) + 1/4·ln(1/2).
const loss = getLoss('hinton').create({ temperature: 1, alpha: 1, lambda: 1, numClasses: 2 });
const logits = tf.tensor2d([[0, 0]]);
const v = loss({ logits, labels: tf.tensor1d([0], 'int32'), targets: { teacher: tf.tensor2d([[Math.log(3), 0]]) }, x: logits, epoch: 1, step: 0 }).dataSync()[0];
const want = 0.75 * Math.log(1.5) + 0.25 * Math.log(0.5);
if (Math.abs(v - want) > 1e-6) throw new Error(`hinton loss ${v}, expected ${want}`);

// A teacher given as precomputed logits (round-tripped through the .npy format): class = sign of x0.
const rng = new Rng(1);
const n = 200;
const x = new Tensor('float32', [n, 4], Float32Array.from({ length: n * 4 }, () => rng.normal()));
const t = new Tensor('float32', [n, 2], Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? 4 : -4) * x.data[(i >> 1) * 4]));
const teacherLogits = decodeLogitsFile(encodeLogitsFile(t));
const y = Int32Array.from({ length: n }, (_, i) => (x.data[i * 4] > 0 ? 0 : 1));
const data = Dataset.fromArrays(x, y, { numClasses: 2 });
const { report: summary } = await distill({ teacher: { logits: teacherLogits, testLogits: teacherLogits }, student: 'mlp:8', data: { train: data, test: data }, epochs: 10, batchSize: 20, seed: 1, optimizer: { name: 'adam', learningRate: 0.02 } });
if (!(summary.student.accuracy > 0.9)) throw new Error(`student accuracy ${summary.student.accuracy}`);
console.log(`losses: ${listLosses().join(', ')}; student ${summary.student.accuracy.toFixed(3)} vs teacher ${summary.teacher.accuracy.toFixed(3)} on ${summary.backend}`);
