// Runs outside the workspace against the packed @shrinkray/tensor-core.
import { initBackend, softmax, Tensor, tf } from '@shrinkray/tensor-core';

const { backend } = await initBackend();
const logits = Tensor.float32([1, 3], [1, 2, 3]);
const p = softmax(logits).data;
const expected = [0.09003057, 0.24472847, 0.66524096];
for (let i = 0; i < 3; i++) if (Math.abs(p[i] - expected[i]) > 1e-6) throw new Error(`softmax[${i}] = ${p[i]}, expected ${expected[i]}`);
const sum = tf.tidy(() => tf.sum(logits.toTfjs()).dataSync()[0]);
if (sum !== 6) throw new Error(`tf sum ${sum}`);
console.log(`backend ${backend}, softmax ok`);
