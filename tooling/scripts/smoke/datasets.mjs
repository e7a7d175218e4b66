// Runs outside the workspace against the packed @shrinkray/datasets.
import { loadMnist } from '@shrinkray/datasets';

const { train, test } = await loadMnist();
const n = train.size + test.size;
if (n !== 10000) throw new Error(`expected 10000 MNIST digits, got ${n}`);
const x = await train.read([0, 1]);
if (x.shape.join(',') !== '2,28,28,1') throw new Error(`train examples shaped ${x.shape}`);
console.log(`mnist ${train.size} train + ${test.size} test`);
