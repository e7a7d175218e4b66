// Runs outside the workspace against the packed @shrinkray/datasets.
import { loadMnist } from '@shrinkray/datasets';

const { train, test } = await loadMnist();
const n = train.y.length + test.y.length;
if (n !== 10000) throw new Error(`expected 10000 MNIST digits, got ${n}`);
if (train.x.shape.join(',') !== `${train.y.length},28,28,1`) throw new Error(`train.x shape ${train.x.shape}`);
console.log(`mnist ${train.y.length} train + ${test.y.length} test`);
